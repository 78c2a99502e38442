// Package factory holds what every command needs from its surroundings (the
// streams, the clock, the version), so that tests can replace it.
//
// It imports only internal/iostreams.
package factory
