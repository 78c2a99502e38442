package awsemu

import (
	"regexp"
	"strconv"
	"strings"
)

// DMS common pieces: ARNs, identifiers, filters, paging, keys and tags.

func dmsARN(region, account, kind, resourceID string) string {
	return "arn:aws:dms:" + region + ":" + account + ":" + kind + ":" + resourceID
}

var identifierPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// validIdentifier applies DMS's identifier rules: 1 to 63 letters, digits or
// hyphens, starting with a letter, not ending with a hyphen, no two
// consecutive hyphens. It returns the identifier lower-cased.
func validIdentifier(param, id string) (string, *apiError) {
	if id == "" {
		return "", required(param, id)
	}
	low := strings.ToLower(id)
	if !identifierPattern.MatchString(low) || strings.HasSuffix(low, "-") || strings.Contains(low, "--") {
		return "", badRequest("InvalidParameterValueException", "The parameter %s must begin with a letter and must contain only ASCII letters, digits, and hyphens. It must not end with a hyphen or contain two consecutive hyphens, and must be 1 to 63 characters long.", param)
	}
	return low, nil
}

// filter is a DMS Filter.
type filter struct {
	Name   string   `json:"Name"`
	Values []string `json:"Values"`
}

// filterSet matches resources against DMS filters: each filter's values are
// alternatives, filters combine with AND.
type filterSet map[string][]string

func parseFilters(in []filter, allowed ...string) (filterSet, *apiError) {
	fs := filterSet{}
	for _, f := range in {
		ok := false
		for _, a := range allowed {
			if f.Name == a {
				ok = true
			}
		}
		if !ok {
			return nil, badRequest("InvalidParameterValueException", "Invalid filter name: %s. Valid filters are: %s", f.Name, strings.Join(allowed, ", "))
		}
		if len(f.Values) == 0 {
			return nil, badRequest("InvalidParameterValueException", "Filter %s needs at least one value", f.Name)
		}
		for _, v := range f.Values {
			switch {
			case strings.HasSuffix(f.Name, "-id"):
				v = strings.ToLower(v) // identifiers are stored lower-cased
			case f.Name == "endpoint-type":
				v = strings.ToUpper(v) // and endpoint types upper-cased
			}
			fs[f.Name] = append(fs[f.Name], v)
		}
	}
	return fs, nil
}

// match reports whether the named filter (if present) accepts value.
func (fs filterSet) match(name, value string) bool {
	vals, ok := fs[name]
	if !ok {
		return true
	}
	for _, v := range vals {
		if v == value {
			return true
		}
	}
	return false
}

// maxRecords validates DMS MaxRecords (20..100, default 100).
func maxRecords(n *int32) (int, *apiError) {
	if n == nil {
		return 100, nil
	}
	if *n < 20 || *n > 100 {
		return 0, badRequest("InvalidParameterValueException", "The parameter MaxRecords must be between 20 and 100, got %d", *n)
	}
	return int(*n), nil
}

// describeInput is the request of every DMS Describe* call.
type describeInput struct {
	Filters    []filter `json:"Filters"`
	MaxRecords *int32   `json:"MaxRecords"`
	Marker     string   `json:"Marker"`
}

// describeQuery says how a Describe* call filters the resources of a table.
type describeQuery[T resource] struct {
	filters []string // the filter names the call accepts
	// idFilter and arnFilter name the filters on the resource's own
	// identifier and ARN, which are looked up in the table's indexes
	// rather than matched against every resource; "" when there is none.
	idFilter, arnFilter string
	match               func(filterSet, T) bool // the other filters; nil when there are none
	// none is the ResourceNotFoundFault message when filters match nothing;
	// "" returns an empty page instead.
	none string
}

// describe answers a DMS Describe* call over a table: it checks the filter
// names and MaxRecords, and returns a page from the marker and the marker of
// the next page. Filters that match nothing on a first page give
// ResourceNotFoundFault (the SDK's "deleted" waiters rely on it).
func describe[T resource](c *call, t *table[T], in describeInput, q describeQuery[T]) ([]T, string, *apiError) {
	fs, aerr := parseFilters(in.Filters, q.filters...)
	if aerr != nil {
		return nil, "", aerr
	}
	max, aerr := maxRecords(in.MaxRecords)
	if aerr != nil {
		return nil, "", aerr
	}
	list := t.list
	if ids, arns := fs[q.idFilter], fs[q.arnFilter]; ids != nil || arns != nil {
		list = t.lookup(c.now, ids, arns)
	}
	page, next, aerr := pageOf(list, c.now, in.Marker, max, func(v T) bool {
		r := v.base()
		return fs.match(q.idFilter, r.id) && fs.match(q.arnFilter, r.arn) && (q.match == nil || q.match(fs, v))
	})
	if aerr != nil {
		return nil, "", aerr
	}
	if len(page) == 0 && len(fs) > 0 && in.Marker == "" && q.none != "" {
		return nil, "", notFound("%s", q.none)
	}
	return page, next, nil
}

// describeOutput is a Describe* response: the views of a page under name,
// and the marker of the next page when there is one.
func describeOutput[T, V any](name string, page []T, next string, view func(T) V) map[string]any {
	views := make([]V, 0, len(page))
	for _, v := range page {
		views = append(views, view(v))
	}
	out := map[string]any{name: views}
	if next != "" {
		out["Marker"] = next
	}
	return out
}

// notFound is DMS's ResourceNotFoundFault.
func notFound(format string, args ...any) *apiError {
	return badRequest("ResourceNotFoundFault", format, args...)
}

func invalidResourceState(format string, args ...any) *apiError {
	return badRequest("InvalidResourceStateFault", format, args...)
}

func invalidParam(format string, args ...any) *apiError {
	return badRequest("InvalidParameterValueException", format, args...)
}

// byARN finds the caller's resource in a table by the ARN given as param:
// ValidationException when it is missing, ResourceNotFoundFault naming kind
// when there is none, and the access-denied error when action (if not
// empty) is denied on it.
func byARN[T resource](c *call, t *table[T], kind, param, arn, action string) (T, *apiError) {
	var none T
	if aerr := required(param, arn); aerr != nil {
		return none, aerr
	}
	v, ok := t.byArn(arn, c.now)
	if !ok {
		return none, notFound("%s %s not found", kind, arn)
	}
	if action != "" {
		if aerr := c.authorize(action, arn); aerr != nil {
			return none, aerr
		}
	}
	return v, nil
}

// newRecord is the record of a resource the caller creates now; its ARN is
// arn:aws:dms:<region>:<account>:<arnKind>:<resourceID>.
func (c *call) newRecord(id, arnKind, resourceID, status string) record {
	return record{id: id, arn: dmsARN(c.region, c.caller.Account, arnKind, resourceID), seq: c.w.nextSeq(), created: c.now, status: status}
}

// freeIdentifier refuses an identifier that another live resource of the
// table has (self, when not nil, is the resource being renamed).
func freeIdentifier[T resource](c *call, t *table[T], self *record, kind, id string) *apiError {
	if other, dup := t.byIdentifier(id, c.now); dup && other.base() != self {
		return badRequest("ResourceAlreadyExistsFault", "%s %s already exists", kind, id)
	}
	return nil
}

// newIdentifier validates the identifier a Modify call gives v under param:
// "" when it gives none.
func newIdentifier[T resource](c *call, t *table[T], v T, kind, param, given string) (string, *apiError) {
	if given == "" {
		return "", nil
	}
	id, aerr := validIdentifier(param, given)
	if aerr != nil {
		return "", aerr
	}
	if aerr := freeIdentifier(c, t, v.base(), kind, id); aerr != nil {
		return "", aerr
	}
	return id, nil
}

// zone returns the caller's zone in the request's region.
func (c *call) zone() *zone { return c.w.zone(c.caller.Account, c.region) }

// dmsKey resolves the KmsKeyId of a DMS resource to a key ARN: empty means
// the account's aws/dms key (created on first use); an id, ARN, alias name or
// alias ARN must name an enabled key the caller's account may use.
func (c *call) dmsKey(ref string) (string, *apiError) {
	if ref == "" {
		return c.w.awsManagedKey(c.zone(), "dms", c.now).arn, nil
	}
	k, aerr := c.findKey(ref, keyLookup{action: "kms:GenerateDataKey", crossAccount: true, autoCreate: true, asService: true})
	if aerr != nil {
		return "", badRequest("KMSKeyNotAccessibleFault", "The specified KMS key %s is not accessible: %s", ref, aerr.Message)
	}
	if k.state != "Enabled" {
		return "", badRequest("KMSKeyNotAccessibleFault", "The specified KMS key %s is not accessible: it is %s", k.arn, k.state)
	}
	return k.arn, nil
}

// resourceIDFor returns the opaque id used in an ARN, from a given resource
// identifier or a fresh one.
func resourceIDFor(given string) (string, *apiError) {
	if given == "" {
		return opaqueID(), nil
	}
	if len(given) > 63 || !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`).MatchString(given) {
		return "", invalidParam("ResourceIdentifier must begin with a letter and contain only letters, digits and hyphens, at most 63 characters")
	}
	return strings.ToUpper(given), nil
}

// compareVersions compares dotted engine versions numerically.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
