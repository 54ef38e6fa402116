// Package staff keeps the node's staff accounts (agents, supervisors,
// admins) and what signing in needs: password hashes, the generated
// signing key, and the failed-sign-in throttle.
//
// Accounts live in their own bbolt file, <data_dir>/staff.db, apart from
// the session store. A Store opens that file for each operation (with a
// short lock timeout) and closes it again: bbolt lets one process at a
// time hold a file open for writing, and the edgedesk staff command must
// work while the node runs. Sign-ins are rare enough that an open per
// operation costs nothing that matters.
//
// Passwords are hashed with argon2id (golang.org/x/crypto/argon2) and
// stored in the PHC string format, so the parameters travel with each hash
// and can be raised later without breaking existing accounts. Passwords
// and hashes are never logged and never leave the package in an Account
// printed by the CLI.
//
// Store, Throttle and the hashing functions are safe for concurrent use.
// The package imports no transport.
package staff
