// Package auth verifies the tokens edgedesk accepts: widget tokens (HS256
// JWTs issued by the merchant's backend, naming the customer) and, later,
// agent tokens carrying a role.
//
// JWT parsing and signature checks are done by github.com/golang-jwt/jwt/v5,
// the maintained successor of the most used Go JWT library: it pins the
// accepted algorithms (no "alg: none", no RS/HS confusion) and validates
// exp/nbf/iat with a leeway, which is exactly what hand-written JWT code
// tends to get wrong. A Verifier is immutable and safe for concurrent use.
package auth
