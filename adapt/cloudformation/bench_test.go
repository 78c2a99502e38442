package cloudformation

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchTemplates returns n templates: the corpus templates (the CDK synth
// one with 23 endpoints among them) and generated ones with conditions,
// renamed so that no two are equal.
func benchTemplates(b *testing.B, n int) [][]byte {
	b.Helper()
	var base [][]byte
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && Detect(data) {
			base = append(base, data)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	base = append(base, []byte(conditionalStack(20)))
	out := make([][]byte, n)
	for i := range out {
		t := base[i%len(base)]
		out[i] = []byte(strings.ReplaceAll(string(t), "Instance", fmt.Sprintf("Instance%d", i)))
	}
	return out
}

// conditionalStack is a YAML template with n instances whose keys depend
// on two conditions each.
func conditionalStack(n int) string {
	var b strings.Builder
	b.WriteString("Parameters:\n  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n  UseKms: {Type: String, Default: \"true\"}\n")
	b.WriteString("Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n  Kms: !Equals [!Ref UseKms, \"true\"]\nResources:\n  Key: {Type: AWS::KMS::Key}\n")
	for i := range n {
		fmt.Fprintf(&b, "  Instance%d:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      ReplicationInstanceClass: !If [IsProd, dms.r5.large, dms.t3.medium]\n      KmsKeyId: !If [Kms, !GetAtt Key.Arn, !Sub 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/dms']\n", i)
	}
	return b.String()
}

// BenchmarkParse500 parses 500 templates (Detect, then Parse) per op.
func BenchmarkParse500(b *testing.B) {
	templates := benchTemplates(b, 500)
	var bytes int64
	for _, t := range templates {
		bytes += int64(len(t))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	resources := 0
	cpu := processCPU()
	for b.Loop() {
		resources = 0
		for i, t := range templates {
			if !Detect(t) {
				b.Fatalf("template %d not detected", i)
			}
			s, err := Parse(fmt.Sprintf("t%d.yaml", i), t, Options{})
			if err != nil {
				b.Fatal(err)
			}
			resources += len(s.Instances) + len(s.Endpoints) + len(s.ReplicationConfigs)
		}
	}
	if used := processCPU() - cpu; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(resources), "resources/op")
}
