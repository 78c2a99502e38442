package remediate

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/remediate"
)

func TestNewCmdRemediateParsesFlags(t *testing.T) {
	t.Parallel()
	defaults := Options{NameTemplate: "{id}-cmk", Format: "text", PollInterval: 15 * time.Second, Timeout: time.Hour}
	with := func(edit func(*Options)) Options {
		o := defaults
		edit(&o)
		return o
	}
	tests := []struct {
		name string
		args []string
		want Options
	}{
		{"plan from a report with a new key", []string{"--from-report", "a.json", "--create-key", "alias/dms", "--key-admin", "arn:aws:iam::111122223333:role/A", "--key-user", "arn:aws:iam::111122223333:role/U", "--external-account", "444455556666", "--delete-old", "--keep-identifier", "--out", "p.json"},
			with(func(o *Options) {
				o.FromReport, o.CreateKey, o.KeyAdmins, o.KeyUsers, o.ExternalAccounts = "a.json", "alias/dms", []string{"arn:aws:iam::111122223333:role/A"}, []string{"arn:aws:iam::111122223333:role/U"}, []string{"444455556666"}
				o.DeleteOld, o.KeepIdentifier, o.Out = true, true, "p.json"
			})},
		{"a live plan in two regions as shell", []string{"--region", "us-east-1,eu-west-1", "--kms-key", "alias/k", "--format", "shell", "--name-template", "{id}-v2", "--engine-version", "3.5.3"},
			with(func(o *Options) {
				o.Regions, o.KMSKey, o.Format, o.NameTemplate, o.EngineVersion = []string{"us-east-1", "eu-west-1"}, "alias/k", "shell", "{id}-v2", "3.5.3"
			})},
		{"apply with a journal", []string{"--apply", "p.json", "--journal", "j", "--yes", "--poll-interval", "1s", "--timeout", "5m"},
			with(func(o *Options) {
				o.Apply, o.Journal, o.Yes, o.PollInterval, o.Timeout = "p.json", "j", true, time.Second, 5*time.Minute
			})},
		{"resume", []string{"--resume", "p.json.journal"}, with(func(o *Options) { o.Resume = "p.json.journal" })},
		{"rollback", []string{"--rollback", "j", "-y"}, with(func(o *Options) { o.Rollback, o.Yes = "j", true })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdRemediate(&factory.Factory{IOStreams: ios, Now: time.Now}, func(_ context.Context, o *Options) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(Options{}, "IO", "Now", "Version")); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewCmdRemediateRejectsConflictingFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"two modes", []string{"--apply", "p", "--resume", "j"}, "are exclusive"},
		{"plan flags with apply", []string{"--apply", "p", "--kms-key", "alias/k"}, "make a plan"},
		{"journal without apply", []string{"--resume", "j", "--journal", "x"}, "--journal goes with --apply"},
		{"an unknown format", []string{"--format", "yaml"}, `"yaml" is not one of text, json, shell`},
		{"a zero poll interval", []string{"--poll-interval", "0s"}, "must be positive"},
		{"an unknown protection level", []string{"--min-protection", "gold"}, `unknown protection level "gold"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			cmd := NewCmdRemediate(&factory.Factory{IOStreams: ios, Now: time.Now}, func(context.Context, *Options) error {
				t.Error("run was called")
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exit.Code(err) != exit.Usage {
				t.Fatalf("err = %v (code %d), want a usage error containing %q", err, exit.Code(err), tt.wantErr)
			}
		})
	}
}

func TestRemediateRunNeedsConsentBeforeChangingAnything(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	err := remediateRun(context.Background(), &Options{IO: ios, Now: time.Now, Rollback: "does-not-matter"})
	if err == nil {
		t.Fatal("rollback ran without a journal or consent")
	}
	err = confirm(&Options{IO: ios}, nil)
	if err == nil || exit.Code(err) != exit.Usage || !strings.Contains(err.Error(), "pass --yes when not interactive") {
		t.Fatalf("confirm without a terminal: err = %v", err)
	}
}

func TestConfirmAsksOnATerminal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answer  string
		wantErr bool
	}{{"yes\n", false}, {"no\n", true}, {"\n", true}}
	for _, tt := range tests {
		t.Run("answer "+strings.TrimSpace(tt.answer), func(t *testing.T) {
			t.Parallel()
			ios, in, out, _ := iostreams.Test()
			ios.SetStdinTTY(true)
			ios.SetStdoutTTY(true)
			in.WriteString(tt.answer)
			err := confirm(&Options{IO: ios}, testPlan())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), "Apply plan rp-cli to account 111122223333? Type yes to continue:") {
				t.Errorf("no question asked:\n%s", out)
			}
			if !strings.Contains(out.String(), "Remediation plan rp-cli") {
				t.Errorf("the plan was not shown before the question:\n%s", out)
			}
			if !strings.Contains(out.String(), "detects accidental changes only, NOT tampering") {
				t.Errorf("the prompt does not say what the digest proves:\n%s", out)
			}
		})
	}
}

func TestAJournalInUseIsRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "plan.json.journal")
	j, err := remediate.CreateJournal(path, testPlan(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, opts := range []Options{{Resume: path}, {Rollback: path, Yes: true}} {
		ios, _, _, _ := iostreams.Test()
		opts.IO, opts.Now = ios, time.Now
		opts.EndpointURL = "http://127.0.0.1:1" // nothing listens: a call would fail differently
		err := remediateRun(context.Background(), &opts)
		if err == nil || !strings.Contains(err.Error(), "is in use by another cmkguard run") {
			t.Errorf("resume %q / rollback %q while the journal is in use: err = %v", opts.Resume, opts.Rollback, err)
		}
	}
}

// TestThePromptShowsTheKeyPolicy: consent to create a key is given seeing
// the whole policy it gets.
func TestThePromptShowsTheKeyPolicy(t *testing.T) {
	t.Parallel()
	p := &remediate.Plan{Version: remediate.PlanVersion, ID: "rp-cli", Account: "111122223333", Regions: []string{"us-east-1"},
		Keys: []remediate.KeyPlan{{Region: "us-east-1", Mode: remediate.KeyCreate, Alias: "alias/dms-cmk",
			Policy: `{"Version":"2012-10-17","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`}}}
	if err := p.Seal(); err != nil {
		t.Fatal(err)
	}
	ios, in, out, _ := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	in.WriteString("no\n")
	_ = confirm(&Options{IO: ios}, p)
	for _, want := range []string{"Key policy of the new key alias/dms-cmk in us-east-1", `"Sid": "EnableIAMUserPermissions"`, `"AWS": "arn:aws:iam::111122223333:root"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the prompt does not show %q:\n%s", want, out)
		}
	}
}
