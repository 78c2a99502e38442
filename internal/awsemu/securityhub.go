package awsemu

import (
	"encoding/json"
	"time"
)

// asffRequired are the ASFF fields BatchImportFindings requires.
var asffRequired = []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt", "Title", "Description", "Resources"}

type failedFinding struct {
	ID           string `json:"Id"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

func (c *call) securityhubBatchImportFindings() (any, *apiError) {
	var in struct {
		Findings []json.RawMessage `json:"Findings"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, badRequest("InvalidInputException", "%s", aerr.Message)
	}
	if len(in.Findings) == 0 {
		return nil, badRequest("InvalidInputException", "Findings must contain at least 1 finding")
	}
	if len(in.Findings) > 100 {
		return nil, badRequest("InvalidInputException", "Findings must contain at most 100 findings, got %d", len(in.Findings))
	}
	failed := []failedFinding{}
	success := 0
	for _, raw := range in.Findings {
		id, problem := checkFinding(raw)
		if problem != "" {
			failed = append(failed, failedFinding{ID: id, ErrorCode: "InvalidInput", ErrorMessage: problem})
			continue
		}
		c.w.findings = append(c.w.findings, append(json.RawMessage(nil), raw...))
		success++
	}
	return map[string]any{"FailedCount": len(failed), "SuccessCount": success, "FailedFindings": failed}, nil
}

// checkFinding returns the finding's Id and what is wrong with it, if anything.
func checkFinding(raw json.RawMessage) (string, string) {
	var f map[string]json.RawMessage
	if json.Unmarshal(raw, &f) != nil {
		return "", "Finding is not a JSON object"
	}
	var id string
	_ = json.Unmarshal(f["Id"], &id)
	for _, name := range asffRequired {
		v, ok := f[name]
		if !ok || string(v) == "null" || string(v) == `""` {
			return id, "Finding is missing required field " + name
		}
	}
	for _, name := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Title", "Description"} {
		var s string
		if json.Unmarshal(f[name], &s) != nil {
			return id, name + " must be a string"
		}
	}
	for _, name := range []string{"CreatedAt", "UpdatedAt"} {
		var s string
		if json.Unmarshal(f[name], &s) != nil {
			return id, name + " must be a string"
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return id, name + " must be an RFC 3339 timestamp"
		}
	}
	var resources []struct {
		Type string `json:"Type"`
		ID   string `json:"Id"`
	}
	if json.Unmarshal(f["Resources"], &resources) != nil || len(resources) == 0 || len(resources) > 32 {
		return id, "Resources must be a list of 1 to 32 resources"
	}
	for _, r := range resources {
		if r.Type == "" || r.ID == "" {
			return id, "each resource needs Type and Id"
		}
	}
	if !hasSeverity(f) {
		return id, "Finding needs Severity or FindingProviderFields.Severity"
	}
	return id, ""
}

func hasSeverity(f map[string]json.RawMessage) bool {
	if v, ok := f["Severity"]; ok && string(v) != "null" {
		return true
	}
	var fpf struct {
		Severity json.RawMessage `json:"Severity"`
	}
	if v, ok := f["FindingProviderFields"]; ok && json.Unmarshal(v, &fpf) == nil && len(fpf.Severity) > 0 && string(fpf.Severity) != "null" {
		return true
	}
	return false
}

// ImportedFindings returns the findings accepted by BatchImportFindings, as sent.
func (s *Server) ImportedFindings() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]json.RawMessage, len(s.world.findings))
	for i, f := range s.world.findings {
		out[i] = append(json.RawMessage(nil), f...)
	}
	return out
}
