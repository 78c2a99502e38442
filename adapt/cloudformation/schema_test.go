package cloudformation

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// schemaFiles maps each resource type the adapter reads to its registry
// schema in testdata/schemas.
var schemaFiles = map[string]string{
	typeInstance: "aws-dms-replicationinstance.json",
	typeConfig:   "aws-dms-replicationconfig.json",
	typeEndpoint: "aws-dms-endpoint.json",
	typeKey:      "aws-kms-key.json",
	typeAlias:    "aws-kms-alias.json",
	typeReplica:  "aws-kms-replicakey.json",
}

// adapterReads lists the property paths the adapter reads, per type.
var adapterReads = map[string][]string{
	typeInstance: {"KmsKeyId", "ReplicationInstanceClass", "EngineVersion"},
	typeConfig:   {"ComputeConfig", "ComputeConfig.KmsKeyId"},
	typeEndpoint: {"KmsKeyId", "EndpointType", "EngineName", "ExtraConnectionAttributes",
		"S3Settings.EncryptionMode", "S3Settings.ServerSideEncryptionKmsKeyId",
		"RedshiftSettings.EncryptionMode", "RedshiftSettings.ServerSideEncryptionKmsKeyId"},
	typeKey:     {"Enabled", "KeySpec", "KeyUsage", "Origin", "MultiRegion"},
	typeAlias:   {"AliasName", "TargetKeyId"},
	typeReplica: {"Enabled", "PrimaryKeyArn"},
}

type schema struct {
	Properties  map[string]schemaProperty `json:"properties"`
	Definitions map[string]schema         `json:"definitions"`
}

type schemaProperty struct {
	Ref string `json:"$ref"`
}

func loadSchema(t *testing.T, typ string) schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "schemas", schemaFiles[typ]))
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// has reports whether the schema declares the property path (A or A.B).
func (s schema) has(path string) bool {
	first, rest, nested := strings.Cut(path, ".")
	p, ok := s.Properties[first]
	if !ok || !nested {
		return ok
	}
	def, ok := s.Definitions[strings.TrimPrefix(p.Ref, "#/definitions/")]
	return ok && schema{Properties: def.Properties, Definitions: s.Definitions}.has(rest)
}

// TestSchemaPropertiesTheAdapterReads: no property the adapter reads is
// misspelt or made up.
func TestSchemaPropertiesTheAdapterReads(t *testing.T) {
	t.Parallel()
	endpoint := loadSchema(t, typeEndpoint)
	for _, made := range []string{"KmsKeyArn", "S3Settings.EncryptionModes", "Nope.KmsKeyId"} {
		if endpoint.has(made) {
			t.Fatalf("the schema check accepts the made-up property %s", made)
		}
	}
	for typ, paths := range adapterReads {
		s := loadSchema(t, typ)
		for _, p := range paths {
			if !s.has(p) {
				t.Errorf("%s: the registry schema has no property %s", typ, p)
			}
		}
	}
}

// TestSchemaPropertiesTheCorpusWrites: every property the corpus (and the
// tests' common template) gives a DMS or KMS resource exists, nested
// settings included, so the cases are templates CloudFormation accepts.
func TestSchemaPropertiesTheCorpusWrites(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{"common (cloudformation_test.go)": []byte(common)}
	for rel := range corpusWant() {
		data, err := os.ReadFile(filepath.Join(corpusDir, rel))
		if err != nil {
			t.Fatal(err)
		}
		files[rel] = data
	}
	schemas := map[string]schema{}
	for typ := range schemaFiles {
		schemas[typ] = loadSchema(t, typ)
	}
	for name, data := range files {
		tmpl, err := load(name, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range tmpl.order {
			res := tmpl.resources[id]
			s, ok := schemas[res.typ]
			if !ok || res.props == nil || res.props.Kind != yaml.MappingNode {
				continue
			}
			for i := 0; i+1 < len(res.props.Content); i += 2 {
				key, val := res.props.Content[i].Value, res.props.Content[i+1]
				if !s.has(key) {
					t.Errorf("%s: %s (%s) has property %s, which its schema does not", name, id, res.typ, key)
					continue
				}
				if val.Kind != yaml.MappingNode || val.Tag != "!!map" {
					continue
				}
				if _, _, fn := tmpl.intrinsicOf(val, false); fn || s.Properties[key].Ref == "" {
					continue
				}
				for j := 0; j+1 < len(val.Content); j += 2 {
					if p := key + "." + val.Content[j].Value; !s.has(p) {
						t.Errorf("%s: %s (%s) has property %s, which its schema does not", name, id, res.typ, p)
					}
				}
			}
		}
	}
}
