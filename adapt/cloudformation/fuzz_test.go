package cloudformation

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// seeds are the corpus templates and a few hostile shapes.
func seeds(f *testing.F) {
	f.Helper()
	_ = filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(path); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	for _, s := range []string{
		common + "  Dms:\n    Type: AWS::DMS::ReplicationInstance\n    Properties:\n      KmsKeyId: !If [C, !GetAtt Key.Arn, !Sub 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/dms']\nConditions:\n  C: !Equals [!Ref KeyArnDefault, '']\n",
		"{\n\t\"Resources\": {\"E\": {\"Type\": \"AWS::DMS::Endpoint\", \"Properties\": {\"EngineName\": \"s3\", \"EndpointType\": \"target\", \"ExtraConnectionAttributes\": \"encryptionMode=SSE_KMS;serverSideEncryptionKmsKeyId=\"}}}\n}",
		aliasBomb(),
		"Resources:\n  I:\n    Type: AWS::DMS::ReplicationInstance\n    Properties: &p\n      <<: *p\n",
		"Resources:\n  I: &i\n    Type: AWS::DMS::ReplicationConfig\n    Properties: {ComputeConfig: *i}\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse: Parse never panics, and whatever it returns is well formed:
// every resource names its file and address, its lines are a range, and a
// resource naming no key carries the default key's facts (so it FAILs).
func FuzzParse(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data, Options{Params: map[string]string{"KeyArnDefault": "alias/aws/dms"}})
		if err != nil {
			if s.Instances != nil || s.Endpoints != nil || s.ReplicationConfigs != nil {
				t.Fatal("an error with resources")
			}
			return
		}
		check := func(src state.Source, keyRef string, key state.Key) {
			if src.File != "f.yaml" || src.Address == "" || src.StartLine < 1 || src.EndLine < src.StartLine {
				t.Fatalf("bad source %+v", src)
			}
			if keyRef == "" && key.Manager != state.KeyManagerAWS {
				t.Fatalf("%s names no key but its key is %+v", src.Address, key)
			}
		}
		for _, r := range s.Instances {
			check(r.Source, r.KeyRef, r.Key)
		}
		for _, r := range s.ReplicationConfigs {
			check(r.Source, r.KeyRef, r.Key)
		}
		for _, r := range s.Endpoints {
			check(r.Source, r.KeyRef, r.Key)
		}
		rule.Evaluate(&s, rule.Options{})
	})
}

// FuzzDetect: Detect never panics, and never skips a template that Parse
// reads DMS resources from (a skipped file would be a silent PASS).
func FuzzDetect(f *testing.F) {
	seeds(f)
	f.Add([]byte(`{"format_version": "1.2", "planned_values": {}}`))
	f.Add([]byte("apiVersion: v1\nkind: Pod\n"))
	f.Add([]byte("\"Resources\": {I: {Type: AWS::DMS::ReplicationInstance}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		detected := Detect(data)
		s, err := Parse("f.yaml", data, Options{})
		if err == nil && !detected && len(s.Instances)+len(s.ReplicationConfigs)+len(s.Endpoints) > 0 {
			t.Fatalf("Detect skipped a template with DMS resources")
		}
	})
}
