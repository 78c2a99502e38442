package keypolicy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestBuildMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		golden string
		opts   Options
	}{
		{
			name:   "root statement only when nobody else is named",
			golden: "root-only.json",
			opts:   Options{Account: "111122223333", Region: "us-east-1"},
		},
		{
			name:   "admins, users and an external account in eu-west-1",
			golden: "full.json",
			opts: Options{
				Account:          "111122223333",
				Region:           "eu-west-1",
				Admins:           []string{"arn:aws:iam::111122223333:role/KeyAdmin", "arn:aws:iam::111122223333:role/KeyAdmin"},
				Users:            []string{"arn:aws:iam::111122223333:role/dms-vpc-role", "arn:aws:iam::111122223333:user/migrator"},
				ExternalAccounts: []string{"444455556666"},
			},
		},
		{
			name:   "china partition",
			golden: "china.json",
			opts:   Options{Account: "111122223333", Region: "cn-north-1", Users: []string{"arn:aws-cn:iam::111122223333:role/dms"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Build(tt.opts)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			got, err := doc.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("not valid JSON:\n%s", got)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("policy differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestBuildLimitsUseToDMSInTheKeysRegion(t *testing.T) {
	t.Parallel()
	doc, err := Build(Options{Account: "111122223333", Region: "ap-southeast-2", Users: []string{"arn:aws:iam::111122223333:role/u"}})
	if err != nil {
		t.Fatal(err)
	}
	var conds []map[string]map[string]string
	for _, s := range doc.Statement {
		if s.Sid == SidUse || s.Sid == SidGrants {
			conds = append(conds, s.Condition)
		}
	}
	want := []map[string]map[string]string{
		{"StringEquals": {"kms:ViaService": "dms.ap-southeast-2.amazonaws.com"}},
		{"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringEquals": {"kms:ViaService": "dms.ap-southeast-2.amazonaws.com"}},
	}
	if diff := cmp.Diff(want, conds); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
}

func TestBuildRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"short account", Options{Account: "1234", Region: "us-east-1"}, `account "1234" is not a 12-digit`},
		{"missing region", Options{Account: "111122223333"}, `region "" is not an AWS region`},
		{"admin that is not an ARN", Options{Account: "111122223333", Region: "us-east-1", Admins: []string{"bob"}}, `key administrator "bob" is not an IAM`},
		{"user in another partition", Options{Account: "111122223333", Region: "us-east-1", Users: []string{"arn:aws-cn:iam::111122223333:role/x"}}, "is in partition aws-cn, the key is in aws"},
		{"external account that is the key's own", Options{Account: "111122223333", Region: "us-east-1", ExternalAccounts: []string{"111122223333"}}, "is the key's own account"},
		{"external account that is not an id", Options{Account: "111122223333", Region: "us-east-1", ExternalAccounts: []string{"arn:aws:iam::444455556666:root"}}, "is not a 12-digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Build(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Build error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
