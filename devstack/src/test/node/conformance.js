// Drives a real third-party Confluent Schema Registry client (@kafkajs/confluent-schema-registry)
// against otaflow's embedded registry, for ConfluentClientConformanceIT.
//   node conformance.js decode <registryUrl> <hex>                       -> prints the record as JSON
//   node conformance.js encode <registryUrl> <subject> <schemaFile> <recordFile> -> prints {"id", "hex"}
'use strict';
const fs = require('fs');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');

async function main([mode, url, ...rest]) {
  const registry = new SchemaRegistry({ host: url });
  if (mode === 'decode') {
    const record = await registry.decode(Buffer.from(rest[0], 'hex'));
    return JSON.stringify(record);
  }
  if (mode === 'encode') {
    const [subject, schemaFile, recordFile] = rest;
    const schema = fs.readFileSync(schemaFile, 'utf8');
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
    const payload = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
    const bytes = await registry.encode(id, payload);
    return JSON.stringify({ id, hex: bytes.toString('hex') });
  }
  throw new Error('unknown mode ' + mode);
}

main(process.argv.slice(2)).then(
  (out) => { process.stdout.write(out + '\n'); },
  (err) => { process.stderr.write('conformance.js failed: ' + (err && err.stack || err) + '\n'); process.exit(1); });
