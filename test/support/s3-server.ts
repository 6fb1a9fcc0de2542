// The start logic moved to src/simulate/s3-server.ts (the demo needs it at runtime); this module keeps
// the tests' names.
export {
  createLocalS3Client as createS3TestClient,
  S3_LOCAL_CREDENTIALS as S3_TEST_CREDENTIALS,
  type S3Server,
  type S3ServerOptions,
  startS3Server,
} from '../../src/simulate/s3-server.js';
