// Package storagetest is the conformance suite every storage backend runs unchanged.
//
// A backend's test calls Run with a function that opens a fresh, empty store. The suite is
// the executable form of the contract in package storage: what it checks is what the rest
// of idpool relies on, so a backend that passes can be swapped in without other changes.
// Behaviour the contract leaves open is not tested: which error wins when several apply,
// what a ListPools or ListIdentities limit or a maxPerAccount of zero or less means,
// whether a List call with nothing to list returns nil or an empty slice,
// whether an empty accountID is special, what UpdateKeys returns when there are no keys
// and fn returns (nil, nil), what Put does with an identity listing a login twice, and
// whether a Put that failed leaves a trace when fn ignores its error and commits.
package storagetest
