package io.otaflow.schemas.registry;

import org.apache.avro.Schema;

/** One version of a subject: the registry's global id, the subject's version number and the schema. */
public record RegisteredSchema(String subject, int id, int version, Schema schema) {
}
