package cloudformation

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"YAML with the format version", "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n", true},
		{"YAML with Resources only", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n", true},
		{"JSON (CDK synth)", `{"Resources": {"K": {"Type": "AWS::KMS::Key", "Metadata": {"aws:cdk:path": "S/K/Resource"}}}}`, true},
		{"JSON with a byte-order mark", "\xef\xbb\xbf{\"Resources\": {\"K\": {\"Type\": \"AWS::KMS::Key\"}}}", true},
		{"tab-indented JSON", "{\n\t\"Resources\": {\n\t\t\"K\": {\"Type\": \"AWS::KMS::Key\"}\n\t}\n}\n", true},
		{"short-form tags", "Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: !Sub '${AWS::StackName}'\n", true},
		{"a custom resource", "Resources:\n  C:\n    Type: Custom::Thing\n", true},
		{"a broken template still goes to Parse", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  K: [\n", true},
		{"Kubernetes manifest", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", false},
		{"Terraform plan JSON", `{"format_version": "1.2", "planned_values": {"root_module": {}}}`, false},
		{"Terraform JSON", `{"resource": {"aws_kms_key": {"k": {}}}}`, false},
		{"Resources that are not resources", "Resources:\n  - a\n  - b\n", false},
		{"a resource list without types", "Resources:\n  A: {Name: x}\n", false},
		{"package.json", `{"name": "x", "version": "1.0.0"}`, false},
		{"empty", "", false},
		{"plain text", "just some Resources text\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Detect([]byte(tc.data)); got != tc.want {
				t.Errorf("Detect = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoadParams(t *testing.T) {
	t.Parallel()
	want := map[string]string{"KmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "Env": "prod", "Subnets": "a,b"}
	files := map[string]string{
		"cli.json": `[
  {"ParameterKey": "KmsKeyArn", "ParameterValue": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
  {"ParameterKey": "Env", "ParameterValue": "prod"},
  {"ParameterKey": "Subnets", "ParameterValue": "a,b"}
]`,
		"codepipeline.json": `{"Parameters": {"KmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "Env": "prod", "Subnets": "a,b"}, "Tags": {"team": "data"}}`,
		"plain.json":        `{"KmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "Env": "prod", "Subnets": ["a", "b"]}`,
		"plain.yaml":        "KmsKeyArn: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\nEnv: prod\nSubnets: [a, b]\n",
	}
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			got, err := LoadParams(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmpDiff(want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
	bad := map[string]string{
		"truncated.json":   "[\n  {\"ParameterKey\": \"A\", \"ParameterValue\": \"1\"},\n",
		"nokey.json":       "[\n  {\"ParameterValue\": \"1\"}\n]",
		"previous.json":    "[\n  {\"ParameterKey\": \"A\", \"UsePreviousValue\": true}\n]",
		"scalar.yaml":      "just text\n",
		"nestedvalue.yaml": "A:\n  b: c\n",
	}
	wantErr := map[string]string{
		"truncated.json":   "truncated.json:3: not valid JSON",
		"nokey.json":       "nokey.json:2: the entry has no ParameterKey",
		"previous.json":    "previous.json:2: parameter A uses its previous value",
		"scalar.yaml":      "scalar.yaml:1: a parameters file is",
		"nestedvalue.yaml": "nestedvalue.yaml:2: parameter A: the value must be",
	}
	for name, content := range bad {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			_, err := LoadParams(path)
			if err == nil || !strings.Contains(err.Error(), wantErr[name]) {
				t.Errorf("error %v, want it to contain %q", err, wantErr[name])
			}
		})
	}
	if _, err := LoadParams(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestBadInput: a malformed or hostile file gets a clear error naming
// file:line, or an UNKNOWN; never a panic, a hang or a PASS.
func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, data string
		wantErr          string // "" = no error, and every resource UNKNOWN or FAIL
	}{
		{name: "malformed YAML", file: "bad.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Properties: {KmsKeyId: [\n", wantErr: "bad.yaml:4: not valid YAML: did not find expected node content"},
		{name: "bad indentation", file: "bad.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n   Properties: {}\n", wantErr: "bad.yaml:1: not valid YAML: did not find expected key"},
		{name: "malformed JSON", file: "bad.json", data: "{\n  \"Resources\": {\n    \"Inst\": {\"Type\": \"AWS::DMS::ReplicationInstance\",}\n  }\n}\n", wantErr: "bad.json:3: not valid JSON"},
		{name: "truncated JSON", file: "bad.json", data: "{\n  \"Resources\": {\n    \"Inst\": {\"Type\": \"AWS::DMS::ReplicationInstance\"}\n", wantErr: "bad.json:4: not valid JSON: unexpected end of file"},
		{name: "duplicate key", file: "dup.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      KmsKeyId: alias/x\n      KmsKeyId: alias/aws/dms\n", wantErr: `dup.yaml:6: duplicate key "KmsKeyId" (first at line 5)`},
		{name: "a list at the top", file: "l.yaml", data: "- a\n", wantErr: "l.yaml:1: a CloudFormation template is a mapping"},
		{name: "no Resources", file: "n.yaml", data: "AWSTemplateFormatVersion: '2010-09-09'\n", wantErr: "n.yaml:1: the template has no Resources"},
		{name: "a resource without Type", file: "t.yaml", data: "Resources:\n  Inst:\n    Properties: {}\n", wantErr: "t.yaml:2: resource Inst has no Type"},
		{name: "an undeclared resource condition", file: "t.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Condition: Nope\n", wantErr: `t.yaml:4: resource Inst names condition "Nope"`},
		{name: "Fn::ForEach is not silently skipped", file: "t.yaml", data: "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Instances:\n    - Name\n    - [A, B]\n    - Inst${Name}: {Type: AWS::DMS::ReplicationInstance}\n", wantErr: "t.yaml:3: Fn::ForEach::Instances: cmkguard does not expand Fn::ForEach"},
		{name: "empty file", file: "e.yaml", data: "", wantErr: "e.yaml: empty document"},
		{name: "too large", file: "big.json", data: `{"Resources": {}}` + strings.Repeat(" ", MaxTemplateBytes), wantErr: "big.json: the file is 4.0 MB; CloudFormation accepts templates of at most 1 MB"},
		{name: "alias bomb", file: "bomb.yaml", data: aliasBomb()},
		{name: "self-referencing anchor", file: "self.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      KmsKeyId: &k {\"Fn::Join\": [\"\", [*k]]}\n"},
		{name: "self-referencing merge key", file: "self.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Properties: &p\n      <<: *p\n"},
		{name: "deeply nested intrinsic functions", file: "deep.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      KmsKeyId: " + strings.Repeat("!Select [0, [", 5000) + "alias/x" + strings.Repeat("]]", 5000) + "\n"},
		{name: "nesting beyond the YAML parser's limit", file: "deeper.yaml", data: "Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      KmsKeyId: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", wantErr: "deeper.yaml:5: not valid YAML: exceeded max depth"},
		{name: "deeply nested conditions", file: "deepc.yaml", data: deepConditions(3000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tc.file, []byte(tc.data), Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, reasons := verdicts(s)
			if len(got) == 0 {
				t.Fatal("no finding: a resource was dropped")
			}
			for k, v := range got {
				if v == pass && strings.HasSuffix(k, "CMKG-DMS-001") {
					t.Errorf("%s: PASS from hostile input (%q)", k, reasons[k])
				}
			}
		})
	}
}

// aliasBomb is the billion-laughs document (9^9 strings once expanded)
// used as a key value.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("Bombs:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		fmt.Fprintf(&b, "  %s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	b.WriteString("Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      KmsKeyId: !Join [\"\", *i]\n      Other: !Select [0, *i]\n")
	return b.String()
}

// deepConditions chains n conditions, each naming the next.
func deepConditions(n int) string {
	var b strings.Builder
	b.WriteString("Parameters:\n  P: {Type: String}\nConditions:\n")
	for i := range n {
		fmt.Fprintf(&b, "  C%d: !Not [!Condition C%d]\n", i, i+1)
	}
	fmt.Fprintf(&b, "  C%d: !Equals [!Ref P, x]\n", n)
	b.WriteString("Resources:\n  Inst:\n    Type: AWS::DMS::ReplicationInstance\n    Condition: C0\n")
	return b.String()
}

// TestLargeInputs: a 50 MB file is refused quickly, and a template with
// ten thousand conditions is evaluated within bounds.
func TestLargeInputs(t *testing.T) {
	t.Parallel()
	t.Run("a 50 MB file", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Resources:\n")
		for i := 0; b.Len() < 50<<20; i++ {
			fmt.Fprintf(&b, "  E%d:\n    Type: AWS::DMS::Endpoint\n    Properties: {EngineName: s3, EndpointType: target}\n", i)
		}
		data := []byte(b.String())
		if !Detect(data) {
			t.Error("Detect: a large template must still be detected, so that the size is reported")
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Parse("big.yaml", data, Options{})
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "big.yaml: the file is 50.0 MB") {
			t.Errorf("error %v", err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("refusing the file allocated %d bytes", grew)
		}
	})
	t.Run("ten thousand conditions", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Parameters:\n")
		for i := range 10000 {
			fmt.Fprintf(&b, "  P%d: {Type: String, Default: x}\n", i)
		}
		b.WriteString("Conditions:\n")
		for i := range 10000 {
			fmt.Fprintf(&b, "  C%d: !Equals [!Ref P%d, \"on\"]\n", i, i)
		}
		b.WriteString("  All: !And [")
		for i := range 10 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "!Condition C%d", i)
		}
		b.WriteString("]\nResources:\n")
		for i := range 100 {
			fmt.Fprintf(&b, "  Inst%d:\n    Type: AWS::DMS::ReplicationInstance\n    Condition: C%d\n    Properties:\n      KmsKeyId: !Join [\"\", [", i, i)
			for j := range 12 {
				fmt.Fprintf(&b, "!If [C%d, \"\", \"\"], ", (i+j)%10000)
			}
			b.WriteString("alias/aws/dms]]\n")
		}
		start := time.Now()
		s, err := Parse("many.yaml", []byte(b.String()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Instances) < 100 {
			t.Errorf("got %d instances, want at least one per resource", len(s.Instances))
		}
		t.Logf("%d conditions, 100 resources: %v, %d state resources", 10000, time.Since(start), len(s.Instances))
	})
}
