// Validates the gateway's OpenAPI document (services/gateway/console/openapi.json, the file
// GET /api/v1/openapi.json serves) against the OpenAPI 3 schema and resolves every $ref.
// Usage: node validate-openapi.mjs FILE_OR_URL
import SwaggerParser from '@apidevtools/swagger-parser';

const source = process.argv[2];
if (!source) {
  console.error('usage: node validate-openapi.mjs FILE_OR_URL');
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(source);
  console.log(`valid: ${api.info.title} ${api.info.version}, OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (err) {
  console.error(`invalid OpenAPI document ${source}: ${err.message}`);
  process.exit(1);
}
