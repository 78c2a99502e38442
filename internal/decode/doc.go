// Package decode reads the files people write or edit (ignore files,
// estates, plans, reports) strictly, and says where a mistake is: every
// error names the line, the column and the field ("line 4, column 5:
// suppressions[0].expire: unknown field (want one of resource, rule,
// reason, expires)"), for YAML through go.yaml.in/yaml/v3's node positions
// and for JSON through encoding/json's offsets.
//
// Decoding itself keeps the semantics the files always had
// (sigs.k8s.io/yaml for YAML, encoding/json for JSON, json tags for field
// names); positions are only looked for once decoding has failed.
//
// It imports the standard library, go.yaml.in/yaml/v3 and sigs.k8s.io/yaml.
package decode
