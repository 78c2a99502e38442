package estatefile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	cmkguard "github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/estatefile"
)

func TestTheDemoEstateLoadsIntoTheEmulator(t *testing.T) {
	e, err := estatefile.Parse(cmkguard.DemoEstateYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := awsemu.New(awsemu.Options{}).LoadEstate(e); err != nil {
		t.Fatal(err)
	}
	if got, want := e.DefaultAccount, "111122223333"; got != want {
		t.Errorf("default account = %q, want %q", got, want)
	}
}

func TestTheEmbeddedDemoEstateIsTheFileInTestdata(t *testing.T) {
	onDisk, err := os.ReadFile(filepath.Join("..", "..", "testdata", "estates", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(onDisk), string(cmkguard.DemoEstateYAML)); diff != "" {
		t.Errorf("embedded demo differs (-disk +embedded):\n%s", diff)
	}
}

func TestParseAcceptsJSONAndYAMLAlike(t *testing.T) {
	yamlDoc := "defaultAccount: \"123456789012\"\nkeys:\n  - id: k1\n    state: Disabled\n"
	jsonDoc := `{"defaultAccount":"123456789012","keys":[{"id":"k1","state":"Disabled"}]}`
	fromYAML, err := estatefile.Parse([]byte(yamlDoc))
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := estatefile.Parse([]byte(jsonDoc))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromYAML, fromJSON); diff != "" {
		t.Errorf("YAML and JSON differ (-yaml +json):\n%s", diff)
	}
}

func TestParseRejectsBadInputWithAClearError(t *testing.T) {
	tests := []struct {
		name, doc, wantInError string
	}{
		{"an empty file", "  \n", "empty"},
		{"an unknown field", "defaultAcount: \"111122223333\"\n", "defaultAcount"},
		{"a wrongly typed field", "keys: {id: 1}\n", "keys"},
		{"malformed YAML", "keys: [\n", "estate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := estatefile.Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("Parse(%q) error = %v, want one mentioning %q", tt.doc, err, tt.wantInError)
			}
		})
	}
}

func TestLoadNamesTheFileInItsErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "estate.yaml")
	if err := os.WriteFile(path, []byte("nonsense: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := estatefile.Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load error = %v, want one naming %s", err, path)
	}
	if _, err := estatefile.Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestErrorsNameTheLineAndTheField(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"a misspelt field in YAML", "defaultAccount: \"111122223333\"\nkeys:\n  - id: k1\n    aliass: [alias/x]\n", "line 4, column 5: keys[0].aliass: unknown field"},
		{"a misspelt field in JSON", "{\n  \"defaultAccount\": \"111122223333\",\n  \"regions\": [{\"name\": \"eu-west-1\", \"optin\": \"opted-in\"}]\n}\n", "line 3, column 37: regions[0].optin: unknown field"},
		{"a list where a mapping is expected", "organization: [a]\n", "line 1, column 15: organization: want a mapping (key: value), found a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "estate.yaml")
			if err := os.WriteFile(path, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := estatefile.Load(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one naming %s and %q", err, path, tt.want)
			}
		})
	}
}

func TestAnEstateFileDeclaresRolesAndLostAnswers(t *testing.T) {
	e, err := estatefile.Parse([]byte(`accounts: [{id: "444455556666"}]
roles: [arn:aws:iam::444455556666:role/cmkguard-audit]
faults:
  loseAnswer: {"kms:CreateKey": 1}
  loseAnswerLimit: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := awsemu.New(awsemu.Options{})
	if err := srv.LoadEstate(e); err != nil {
		t.Fatal(err)
	}
	if f := srv.CurrentFaults(); f.LoseAnswer["kms:CreateKey"] != 1 || f.LoseAnswerLimit != 1 {
		t.Errorf("faults = %+v", f)
	}
}
