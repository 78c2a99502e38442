package awsemu

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AWS Config (awsJson1_1, X-Amz-Target StarlingDoveService.*): the three
// calls a custom Lambda rule makes. The rules themselves are not created
// through the API: a test stands in for Config invoking the rule by asking
// for a result token (NewConfigResultToken), exactly what Config hands the
// function in each event.

// configComplianceTypes are the values of the ComplianceType enum.
var configComplianceTypes = map[string]bool{"COMPLIANT": true, "NON_COMPLIANT": true, "NOT_APPLICABLE": true, "INSUFFICIENT_DATA": true}

// ConfigEvaluation is one evaluation of a resource by a Config rule.
type ConfigEvaluation struct {
	ResourceType      string
	ResourceID        string
	ComplianceType    string
	Annotation        string
	OrderingTimestamp time.Time
	// RecordedTime is when the emulator accepted it; ResultToken is the
	// token it came with.
	RecordedTime time.Time
	ResultToken  string
}

// ConfigurationItem is one recorded state of a resource, as
// GetResourceConfigHistory returns it. Configuration is the resource's
// configuration as a JSON document (the API returns it as a string).
type ConfigurationItem struct {
	Account      string
	Region       string
	ResourceType string
	ResourceID   string
	ResourceName string
	ARN          string
	// Status is OK (default), ResourceDiscovered, ResourceNotRecorded,
	// ResourceDeleted or ResourceDeletedNotRecorded.
	Status        string
	CaptureTime   time.Time
	Configuration string
}

type configRuleKey struct{ account, region, name string }

type configResourceKey struct{ resourceType, resourceID string }

type configRule struct {
	current map[configResourceKey]*ConfigEvaluation
	// accepted is every evaluation PutEvaluations accepted, in order.
	accepted []ConfigEvaluation
	invoked  time.Time
}

type configState struct {
	rules  map[configRuleKey]*configRule
	tokens map[string]configRuleKey
	items  map[zoneKey][]ConfigurationItem
	// failNext makes the next evaluations put come back in
	// FailedEvaluations instead of being recorded.
	failNext int
}

func (w *world) configState() *configState {
	if w.config == nil {
		w.config = &configState{rules: map[configRuleKey]*configRule{}, tokens: map[string]configRuleKey{}, items: map[zoneKey][]ConfigurationItem{}}
	}
	return w.config
}

// NewConfigResultToken stands in for Config invoking a rule: it creates the
// rule named name in account and region if need be and returns a fresh
// result token for one invocation, valid only for PutEvaluations by that
// account in that region.
func (s *Server) NewConfigResultToken(account, region, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.world.configState()
	k := configRuleKey{account, region, name}
	r := cs.rules[k]
	if r == nil {
		r = &configRule{current: map[configResourceKey]*ConfigEvaluation{}}
		cs.rules[k] = r
	}
	r.invoked = s.opts.Now().UTC()
	token := "cmkguard-result-token-" + uuid()
	cs.tokens[token] = k
	return token
}

// ConfigEvaluations returns the current evaluation of each resource by a
// rule (the latest by OrderingTimestamp), sorted by resource type and id.
func (s *Server) ConfigEvaluations(account, region, name string) []ConfigEvaluation {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.world.configState().rules[configRuleKey{account, region, name}]
	if r == nil {
		return nil
	}
	out := make([]ConfigEvaluation, 0, len(r.current))
	for _, e := range r.current {
		out = append(out, *e)
	}
	sortEvaluations(out)
	return out
}

// ConfigEvaluationsAccepted returns every evaluation PutEvaluations
// accepted for a rule, in the order they arrived, including those a later
// evaluation replaced.
func (s *Server) ConfigEvaluationsAccepted(account, region, name string) []ConfigEvaluation {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.world.configState().rules[configRuleKey{account, region, name}]
	if r == nil {
		return nil
	}
	return append([]ConfigEvaluation(nil), r.accepted...)
}

// FailNextConfigEvaluations makes the next n evaluations PutEvaluations
// receives come back in FailedEvaluations, unrecorded: the partial failure
// the API reports for "a client or server error".
func (s *Server) FailNextConfigEvaluations(n int) {
	s.mu.Lock()
	s.world.configState().failNext = n
	s.mu.Unlock()
}

// RecordConfigurationItem stands in for Config's recorder: it adds a
// configuration item that GetResourceConfigHistory then returns.
func (s *Server) RecordConfigurationItem(item ConfigurationItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if item.Status == "" {
		item.Status = "OK"
	}
	if item.CaptureTime.IsZero() {
		item.CaptureTime = s.opts.Now().UTC()
	}
	cs := s.world.configState()
	k := zoneKey{item.Account, item.Region}
	cs.items[k] = append(cs.items[k], item)
}

func sortEvaluations(out []ConfigEvaluation) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].ResourceType != out[j].ResourceType {
			return out[i].ResourceType < out[j].ResourceType
		}
		return out[i].ResourceID < out[j].ResourceID
	})
}

// configEvaluation is Evaluation on the wire.
type configEvaluation struct {
	ComplianceResourceType *string `json:"ComplianceResourceType"`
	ComplianceResourceID   *string `json:"ComplianceResourceId"`
	ComplianceType         *string `json:"ComplianceType"`
	Annotation             *string `json:"Annotation,omitempty"`
	OrderingTimestamp      *epoch  `json:"OrderingTimestamp"`
}

// configValidation collects constraint violations in the wording AWS's
// ValidationException uses.
type configValidation []string

func (v *configValidation) add(format string, args ...any) {
	*v = append(*v, fmt.Sprintf(format, args...))
}

func (v configValidation) err() *apiError {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return badRequest("ValidationException", "%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}

func checkLength(v *configValidation, path string, s *string, minLen, maxLen int, required bool) {
	if s == nil {
		if required {
			v.add("Value null at '%s' failed to satisfy constraint: Member must not be null", path)
		}
		return
	}
	if n := len([]rune(*s)); n < minLen {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", *s, path, minLen)
	} else if n > maxLen {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", *s, path, maxLen)
	}
}

func (c *call) configPutEvaluations() (any, *apiError) {
	var in struct {
		Evaluations []configEvaluation `json:"Evaluations"`
		ResultToken *string            `json:"ResultToken"`
		TestMode    bool               `json:"TestMode"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	var v configValidation
	if in.ResultToken == nil {
		v.add("Value null at 'resultToken' failed to satisfy constraint: Member must not be null")
	}
	if len(in.Evaluations) > 100 {
		v.add("Value at 'evaluations' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	for i, e := range in.Evaluations {
		p := fmt.Sprintf("evaluations.%d.member.", i+1)
		checkLength(&v, p+"complianceResourceType", e.ComplianceResourceType, 1, 256, true)
		checkLength(&v, p+"complianceResourceId", e.ComplianceResourceID, 1, 768, true)
		checkLength(&v, p+"annotation", e.Annotation, 1, 256, false)
		switch {
		case e.ComplianceType == nil:
			v.add("Value null at '%scomplianceType' failed to satisfy constraint: Member must not be null", p)
		case !configComplianceTypes[*e.ComplianceType]:
			v.add("Value '%s' at '%scomplianceType' failed to satisfy constraint: Member must satisfy enum value set: [NON_COMPLIANT, COMPLIANT, NOT_APPLICABLE, INSUFFICIENT_DATA]", *e.ComplianceType, p)
		}
		if e.OrderingTimestamp == nil {
			v.add("Value null at '%sorderingTimestamp' failed to satisfy constraint: Member must not be null", p)
		}
	}
	if aerr := v.err(); aerr != nil {
		return nil, aerr
	}
	// The Evaluation data type does not take INSUFFICIENT_DATA: a custom
	// rule's function cannot report it (only Config itself does).
	for _, e := range in.Evaluations {
		if *e.ComplianceType == "INSUFFICIENT_DATA" {
			return nil, badRequest("InvalidParameterValueException", "The compliance type INSUFFICIENT_DATA is not supported for evaluations; use COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE.")
		}
	}
	cs := c.w.configState()
	if in.TestMode {
		return map[string]any{"FailedEvaluations": []configEvaluation{}}, nil
	}
	k, ok := cs.tokens[*in.ResultToken]
	if !ok || k.account != c.caller.Account || k.region != c.region {
		return nil, badRequest("InvalidResultTokenException", "The resultToken provided is invalid")
	}
	rule := cs.rules[k]
	c.resource = fmt.Sprintf("arn:aws:config:%s:%s:config-rule/%s", k.region, k.account, k.name)
	failed := []configEvaluation{}
	for _, e := range in.Evaluations {
		if cs.failNext > 0 {
			cs.failNext--
			failed = append(failed, e)
			continue
		}
		ev := ConfigEvaluation{
			ResourceType: *e.ComplianceResourceType, ResourceID: *e.ComplianceResourceID, ComplianceType: *e.ComplianceType,
			OrderingTimestamp: time.Time(*e.OrderingTimestamp), RecordedTime: c.now.UTC(), ResultToken: *in.ResultToken,
		}
		if e.Annotation != nil {
			ev.Annotation = *e.Annotation
		}
		rule.accepted = append(rule.accepted, ev)
		rk := configResourceKey{ev.ResourceType, ev.ResourceID}
		// An evaluation ordered before the one Config holds does not
		// replace it: OrderingTimestamp exists to order them.
		if cur, ok := rule.current[rk]; ok && ev.OrderingTimestamp.Before(cur.OrderingTimestamp) {
			continue
		}
		rule.current[rk] = &ev
	}
	return map[string]any{"FailedEvaluations": failed}, nil
}

func (c *call) configGetComplianceDetailsByConfigRule() (any, *apiError) {
	var in struct {
		ConfigRuleName  *string  `json:"ConfigRuleName"`
		ComplianceTypes []string `json:"ComplianceTypes"`
		Limit           int      `json:"Limit"`
		NextToken       string   `json:"NextToken"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	var v configValidation
	checkLength(&v, "configRuleName", in.ConfigRuleName, 1, 64, true)
	if len(in.ComplianceTypes) > 3 {
		v.add("Value at 'complianceTypes' failed to satisfy constraint: Member must have length less than or equal to 3")
	}
	if in.Limit < 0 || in.Limit > 100 {
		v.add("Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 0 and 100", in.Limit)
	}
	if aerr := v.err(); aerr != nil {
		return nil, aerr
	}
	want := map[string]bool{}
	for _, t := range in.ComplianceTypes {
		if !configComplianceTypes[t] || t == "INSUFFICIENT_DATA" {
			return nil, badRequest("InvalidParameterValueException", "%s is not a valid compliance type to filter by", t)
		}
		want[t] = true
	}
	k := configRuleKey{c.caller.Account, c.region, *in.ConfigRuleName}
	rule := c.w.configState().rules[k]
	if rule == nil {
		return nil, badRequest("NoSuchConfigRuleException", "The ConfigRule '%s' provided in the request is invalid. Please check the configRule name.", *in.ConfigRuleName)
	}
	c.resource = fmt.Sprintf("arn:aws:config:%s:%s:config-rule/%s", k.region, k.account, k.name)
	var all []ConfigEvaluation
	for _, e := range rule.current {
		if len(want) == 0 || want[e.ComplianceType] {
			all = append(all, *e)
		}
	}
	sortEvaluations(all)
	start := 0
	if in.NextToken != "" {
		s, err := decodeMarkerString(in.NextToken)
		n, convErr := strconv.Atoi(strings.TrimPrefix(s, "config-page:"))
		if err != nil || convErr != nil || !strings.HasPrefix(s, "config-page:") || n < 0 || n > len(all) {
			return nil, badRequest("InvalidNextTokenException", "The nextToken provided is invalid")
		}
		start = n
	}
	limit := in.Limit
	if limit == 0 {
		limit = 10
	}
	end := min(start+limit, len(all))
	results := []map[string]any{}
	for _, e := range all[start:end] {
		r := map[string]any{
			"EvaluationResultIdentifier": map[string]any{
				"EvaluationResultQualifier": map[string]any{"ConfigRuleName": k.name, "ResourceType": e.ResourceType, "ResourceId": e.ResourceID, "EvaluationMode": "DETECTIVE"},
				"OrderingTimestamp":         ts(e.OrderingTimestamp),
			},
			"ComplianceType":        e.ComplianceType,
			"ResultRecordedTime":    ts(e.RecordedTime),
			"ConfigRuleInvokedTime": ts(rule.invoked),
		}
		if e.Annotation != "" {
			r["Annotation"] = e.Annotation
		}
		results = append(results, r)
	}
	out := map[string]any{"EvaluationResults": results}
	if end < len(all) {
		out["NextToken"] = encodeMarkerString("config-page:" + strconv.Itoa(end))
	}
	return out, nil
}

func (c *call) configGetResourceConfigHistory() (any, *apiError) {
	var in struct {
		ResourceType       *string `json:"resourceType"`
		ResourceID         *string `json:"resourceId"`
		LaterTime          *epoch  `json:"laterTime"`
		EarlierTime        *epoch  `json:"earlierTime"`
		ChronologicalOrder string  `json:"chronologicalOrder"`
		Limit              int     `json:"limit"`
		NextToken          string  `json:"nextToken"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	var v configValidation
	checkLength(&v, "resourceType", in.ResourceType, 1, 256, true)
	checkLength(&v, "resourceId", in.ResourceID, 1, 768, true)
	if in.ChronologicalOrder != "" && in.ChronologicalOrder != "Reverse" && in.ChronologicalOrder != "Forward" {
		v.add("Value '%s' at 'chronologicalOrder' failed to satisfy constraint: Member must satisfy enum value set: [Reverse, Forward]", in.ChronologicalOrder)
	}
	if aerr := v.err(); aerr != nil {
		return nil, aerr
	}
	if in.Limit < 0 || in.Limit > 100 {
		return nil, badRequest("InvalidLimitException", "The limit %d is not between 0 and 100", in.Limit)
	}
	if in.LaterTime != nil && in.EarlierTime != nil && time.Time(*in.EarlierTime).After(time.Time(*in.LaterTime)) {
		return nil, badRequest("InvalidTimeRangeException", "The earlier time is after the later time")
	}
	var items []ConfigurationItem
	for _, it := range c.w.configState().items[zoneKey{c.caller.Account, c.region}] {
		if it.ResourceType == *in.ResourceType && it.ResourceID == *in.ResourceID {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil, badRequest("ResourceNotDiscoveredException", "Resource %s of resourceType:%s is unknown or has not been discovered", *in.ResourceID, *in.ResourceType)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].CaptureTime.Before(items[j].CaptureTime) })
	if in.ChronologicalOrder != "Forward" {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	var inRange []ConfigurationItem
	for _, it := range items {
		if in.LaterTime != nil && it.CaptureTime.After(time.Time(*in.LaterTime)) {
			continue
		}
		if in.EarlierTime != nil && it.CaptureTime.Before(time.Time(*in.EarlierTime)) {
			continue
		}
		inRange = append(inRange, it)
	}
	start := 0
	if in.NextToken != "" {
		s, err := decodeMarkerString(in.NextToken)
		n, convErr := strconv.Atoi(strings.TrimPrefix(s, "config-history:"))
		if err != nil || convErr != nil || !strings.HasPrefix(s, "config-history:") || n < 0 || n > len(inRange) {
			return nil, badRequest("InvalidNextTokenException", "The nextToken provided is invalid")
		}
		start = n
	}
	limit := in.Limit
	if limit == 0 {
		limit = 10
	}
	end := min(start+limit, len(inRange))
	list := []map[string]any{}
	for _, it := range inRange[start:end] {
		list = append(list, configItemJSON(it))
	}
	out := map[string]any{"configurationItems": list}
	if end < len(inRange) {
		out["nextToken"] = encodeMarkerString("config-history:" + strconv.Itoa(end))
	}
	return out, nil
}

func configItemJSON(it ConfigurationItem) map[string]any {
	m := map[string]any{
		"version": "1.3", "accountId": it.Account, "configurationItemCaptureTime": ts(it.CaptureTime),
		"configurationItemStatus": it.Status, "configurationStateId": strconv.FormatInt(it.CaptureTime.UnixMilli(), 10),
		"resourceType": it.ResourceType, "resourceId": it.ResourceID, "awsRegion": it.Region,
		"tags": map[string]string{}, "relatedEvents": []string{}, "relationships": []any{},
		"supplementaryConfiguration": map[string]string{}, "recordingFrequency": "CONTINUOUS",
		"configurationItemDeliveryTime": ts(it.CaptureTime),
	}
	if it.ARN != "" {
		m["arn"] = it.ARN
	}
	if it.ResourceName != "" {
		m["resourceName"] = it.ResourceName
	}
	if it.Configuration != "" {
		m["configuration"] = it.Configuration
	}
	return m
}
