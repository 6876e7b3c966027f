// Package sigv4 verifies AWS Signature Version 4 on incoming requests, server side, the way
// AWS services do, so that unmodified AWS SDKs and CLIs can call idpool with ordinary access
// keys.
//
// # What is checked, and in which order
//
// The order matters because clients see the first failure only, and AWS's own order is what
// tools and people recognise. It follows the order AWS's services use:
//
//  1. Where the signature is: an Authorization header starting "AWS4-", or presigned query
//     parameters (X-Amz-Algorithm and friends). Neither gives MissingAuthenticationToken; both
//     at once is refused, because it is ambiguous which one the client meant.
//  2. Its shape: algorithm, key=value syntax, Credential/SignedHeaders/Signature present, a date
//     present (IncompleteSignature, with AWS's wording).
//  3. 'host' is among the signed headers (InvalidSignature): otherwise a request could be
//     replayed against another host.
//  4. The date: X-Amz-Date in ISO 8601 basic format, or the Date header; it must lie within
//     MaxSkew of the server clock (InvalidSignature "Signature expired" / "not yet current").
//     Presigned URLs carrying X-Amz-Expires are valid for that long instead.
//  5. The credential scope: five parts, this server's region, the caller's service name, the
//     aws4_request terminator, and the same day as the request date (InvalidSignature).
//  6. The access key is known (UnrecognizedClient); the source gets the request's session
//     token too, since temporary credentials travel in it.
//  7. The signature itself, compared in constant time (InvalidSignature).
//  8. The session token, for temporary credentials (UnrecognizedClient), then their expiry
//     (ExpiredToken). Both are checked only after the signature so that nothing about the
//     token is revealed to someone who cannot sign.
//
// # Canonicalisation
//
// The canonical request is rebuilt from what the client said it signed (SignedHeaders), never
// from a fixed list: botocore, the JavaScript SDK v3 and the Go SDK v2 each sign a different
// set of headers, and all of them must work. Paths are URI-encoded a second time, as every
// service except S3 requires; a path that needs normalising (".." or "//") is also checked in
// its normalised form, because botocore normalises it and the Go SDK does not.
//
// The payload hash is always the SHA-256 of the body as received. An X-Amz-Content-Sha256
// header must agree with it. "UNSIGNED-PAYLOAD" is honoured only when the Verifier allows it:
// AWS services other than S3 always hash the body, and a request whose body is not covered by
// its signature could be replayed with a different body.
//
// # Cost
//
// The verifier runs on every authenticated request, so the common path does not allocate:
// buffers come from a pool, the HMAC over the string to sign works on stack arrays, and derived
// signing keys (four HMACs each) are cached per secret, day, region and service.
//
// Error messages are sent to clients verbatim. They echo the Authorization header and
// credential scope, which carry no secret, and never a secret key or session token.
package sigv4
