package factory

import (
	"time"

	"github.com/cmkguard/cmkguard/internal/iostreams"
)

// Factory is handed to every NewCmdX constructor.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Now is the clock (suppression expiry, report timestamps).
	Now func() time.Time
	// Version is the tool's version.
	Version string
}

// New returns a Factory on the process's own streams.
func New(version string) *Factory {
	return &Factory{IOStreams: iostreams.System(), Now: time.Now, Version: version}
}
