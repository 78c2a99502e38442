package estatefile

import (
	"bytes"
	"fmt"
	"os"

	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/decode"
)

// Parse reads an estate from YAML or JSON (JSON is YAML). Unknown fields and
// duplicate keys are errors.
func Parse(data []byte) (*awsemu.Estate, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("estate is empty")
	}
	var e awsemu.Estate
	if err := decode.YAML(data, &e); err != nil {
		return nil, fmt.Errorf("estate: %w", err)
	}
	return &e, nil
}

// Load reads an estate file.
func Load(path string) (*awsemu.Estate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read estate: %w", err)
	}
	e, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}
