package permissions

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cmkguard/cmkguard/internal/cli/factory"
)

// NewCmdPermissions returns the permissions command group.
func NewCmdPermissions(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "permissions <command>",
		Short: "Print the least-privilege IAM policy a cmkguard command needs",
		Args:  cobra.NoArgs, // a mistyped subcommand is a usage error
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(NewCmdAudit(f, nil))
	cmd.AddCommand(NewCmdRemediate(f, nil))
	cmd.AddCommand(NewCmdConfigRule(f, nil))
	return cmd
}

// Policy is an IAM policy document.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Policy.
type Statement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// Actions lists every action of p, in statement order.
func (p Policy) Actions() []string {
	var out []string
	for _, s := range p.Statement {
		out = append(out, s.Action...)
	}
	return out
}

// WritePolicy writes p as indented JSON.
func WritePolicy(w io.Writer, p Policy) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode policy: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
