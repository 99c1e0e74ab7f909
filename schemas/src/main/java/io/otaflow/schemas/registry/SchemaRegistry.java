package io.otaflow.schemas.registry;

import org.apache.avro.Schema;

/**
 * What otaflow's serdes need from a schema registry. {@link SchemaRegistryClient} speaks to a
 * Confluent-compatible server; {@link MockSchemaRegistry} keeps schemas in memory for tests
 * (e.g. Kafka Streams' TopologyTestDriver) and tools that run without a registry.
 */
public interface SchemaRegistry {

    /** Registers the schema under the subject (or finds it there) and returns its global id. */
    int register(String subject, Schema schema);

    /** Finds the schema's id and version under the subject without registering it. */
    RegisteredSchema lookup(String subject, Schema schema);

    /** The schema with this global id. */
    Schema schemaById(int id);
}
