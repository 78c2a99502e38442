package cloudformation

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/state"
)

// corpusDir is the CloudFormation part of the IaC corpus, shared with the
// command's golden reports.
const corpusDir = "../../testdata/iac/cloudformation"

// corpusWant is, per file of the corpus, the worst verdict per address and
// rule; files absent from it must not be detected as templates.
func corpusWant() map[string]map[string]finding.Status {
	cdk := map[string]finding.Status{
		"ReplicationInstance CMKG-DMS-001": pass, "ReplicationInstance CMKG-DMS-002": pass,
		// The Redshift target reaches the key through its alias.
		"WarehouseTargetEndpoint CMKG-DMS-005": pass, "WarehouseTargetEndpoint CMKG-DMS-006": pass,
	}
	for i := range 12 { // every third source endpoint names no key
		status := pass
		if i%3 == 2 {
			status = fail
		}
		cdk[fmt.Sprintf("Source%02dEndpoint CMKG-DMS-005", i)] = status
	}
	for i := range 10 { // 0-5: SSE_KMS joined with the key; 6-7: SSE_S3 written; 8-9: nothing (SSE_S3)
		status := pass
		if i >= 6 {
			status = fail
		}
		cdk[fmt.Sprintf("Lake%02dTargetEndpoint CMKG-DMS-005", i)] = pass
		cdk[fmt.Sprintf("Lake%02dTargetEndpoint CMKG-DMS-006", i)] = status
	}
	return map[string]map[string]finding.Status{
		"cdk.out/DmsMigrationStack.template.json": cdk,
		"legacy/dms-legacy.template": {
			"LegacyInstance CMKG-DMS-001": unknown, "LegacyInstance CMKG-DMS-002": unknown,
			"LegacyEndpoint CMKG-DMS-005": fail,
		},
		"legacy/dms-serverless.template": {
			"Replication CMKG-DMS-003": pass, "Replication CMKG-DMS-004": pass,
			"AdHoc CMKG-DMS-003": fail, "AdHoc CMKG-DMS-004": pass,
		},
		"conditional-instance.yaml": {
			// Only in prod, and there without a key when UseCmk is false;
			// NeverInstance's condition is false whatever the parameters.
			"ProdInstance CMKG-DMS-001": fail, "ProdInstance CMKG-DMS-002": pass,
		},
		"decoy-key.yaml": {"Instance CMKG-DMS-001": fail, "Instance CMKG-DMS-002": pass},
		"short-tags.yaml": {
			"ByGetAtt CMKG-DMS-001": pass, "ByGetAtt CMKG-DMS-002": fail,
			"BySelect CMKG-DMS-001": pass, "BySelect CMKG-DMS-002": unknown,
			"ByImport CMKG-DMS-005": unknown,
		},
		"sub-join-aws-alias.yaml": {
			"SubAlias CMKG-DMS-001": fail, "SubAlias CMKG-DMS-002": pass,
			"JoinAlias CMKG-DMS-001": fail, "JoinAlias CMKG-DMS-002": pass,
			"SubTarget CMKG-DMS-005": fail, "SubTarget CMKG-DMS-006": fail,
		},
	}
}

// TestCorpus runs Detect and Parse over every file of the corpus and
// compares every verdict the rules give.
func TestCorpus(t *testing.T) {
	t.Parallel()
	want := corpusWant()
	seen := map[string]bool{}
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, path)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		wantFile, isTemplate := want[rel]
		if Detect(data) != isTemplate {
			t.Errorf("%s: Detect = %v, want %v", rel, !isTemplate, isTemplate)
			return nil
		}
		if !isTemplate {
			return nil
		}
		seen[rel] = true
		s, err := Parse(rel, data, Options{})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		each(s, func(src state.Source) {
			if src.File != rel {
				t.Errorf("%s: Source.File %q", rel, src.File)
			}
		})
		got, reasons := verdicts(s)
		for k, w := range wantFile {
			if got[k] != w {
				t.Errorf("%s: %s: got %q, want %s (%q)", rel, k, got[k], w, reasons[k])
			}
		}
		for k := range got {
			if _, ok := wantFile[k]; !ok {
				t.Errorf("%s: unexpected finding %s: %s (%q)", rel, k, got[k], reasons[k])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range want {
		if !seen[rel] {
			t.Errorf("%s: not in the corpus", rel)
		}
	}
}

// TestCorpusParamsAndVariants: the corpus's parameters file resolves the
// legacy instance, and the conditional instance names its combinations.
func TestCorpusParamsAndVariants(t *testing.T) {
	t.Parallel()
	params, err := LoadParams(filepath.Join(corpusDir, "params.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(corpusDir, "legacy/dms-legacy.template"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("legacy/dms-legacy.template", data, Options{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := verdicts(s)
	if got["LegacyInstance CMKG-DMS-001"] != pass {
		t.Errorf("with params.json, LegacyInstance CMKG-DMS-001 = %s, want PASS", got["LegacyInstance CMKG-DMS-001"])
	}

	data, err = os.ReadFile(filepath.Join(corpusDir, "conditional-instance.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err = Parse("conditional-instance.yaml", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string]finding.Status{}
	for _, inst := range s.Instances {
		if inst.ID != "ProdInstance" {
			t.Errorf("unexpected instance %s", inst.ID)
		}
	}
	for k, v := range variantsOfAddress(s, "ProdInstance") {
		variants[k] = v
	}
	wantVariants := map[string]finding.Status{"CreateKey=true, IsProd=true": pass, "CreateKey=false, IsProd=true": fail}
	if diff := cmpDiff(wantVariants, variants); diff != "" {
		t.Errorf("variants (-want +got):\n%s", diff)
	}
}
