package exit

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeMapsEachOutcomeToItsExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"no error is success", nil, OK},
		{"a plain error is an error", errors.New("boom"), Error},
		{"a usage error is usage", Usagef("--format: unknown %q", "x"), Usage},
		{"a wrapped usage error is still usage", fmt.Errorf("audit: %w", Usagef("bad")), Usage},
		{"findings at the threshold exit 3", &FindingsError{Count: 2, Threshold: "high"}, Findings},
		{"wrapped findings still exit 3", fmt.Errorf("audit: %w", &FindingsError{Count: 1, Threshold: "critical"}), Findings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
