// Package server is the composition root: it builds the store, the operations, the
// transports and the operational endpoints from a Config, and runs them with graceful
// shutdown.
package server
