package awsemu

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
)

// statusGone marks a resource whose deletion has completed.
const statusGone = "\x00gone"

// world is the emulated state of every account and region.
type world struct {
	defaultAccount   string
	defaultPrincipal string
	defaultRegion    string
	accounts         []EstateAccount
	org              *EstateOrganization
	regions          []EstateRegion
	regionByName     map[string]EstateRegion
	credentials      map[string]identity
	roles            map[string]bool
	zones            map[zoneKey]*zone
	findings         []json.RawMessage
	config           *configState // AWS Config rules and recorder (config.go)
	seq              uint64
	created          time.Time // when the estate was loaded (accounts' join date)
}

type zoneKey struct{ account, region string }

// zone is one account in one region.
type zone struct {
	account, region  string
	keys             map[string]*kmsKey // by key id
	keyList          []*kmsKey
	aliases          map[string]*kmsAlias // by alias name
	instances        table[*dmsInstance]
	tasks            table[*dmsTask]
	endpoints        table[*dmsEndpoint]
	configs          table[*dmsConfig]
	subnetGroups     table[*dmsSubnetGroup]
	instanceProfiles table[*dmsInstanceProfile]
	certificates     table[*dmsCertificate]
	assessmentRuns   table[*dmsAssessmentRun]
}

// standardRegions are the regions of a new emulator: the commercial regions,
// with the opt-in ones not enabled except where noted.
var standardRegions = []EstateRegion{
	{Name: "us-east-1"}, {Name: "us-east-2"}, {Name: "us-west-1"}, {Name: "us-west-2"},
	{Name: "ca-central-1"}, {Name: "sa-east-1"},
	{Name: "eu-west-1"}, {Name: "eu-west-2"}, {Name: "eu-west-3"}, {Name: "eu-central-1"}, {Name: "eu-north-1"},
	{Name: "ap-south-1"}, {Name: "ap-northeast-1"}, {Name: "ap-northeast-2"}, {Name: "ap-northeast-3"},
	{Name: "ap-southeast-1"}, {Name: "ap-southeast-2"},
	{Name: "af-south-1", OptInStatus: "not-opted-in"},
	{Name: "ap-east-1", OptInStatus: "not-opted-in"},
	{Name: "me-south-1", OptInStatus: "not-opted-in"},
	{Name: "eu-south-1", OptInStatus: "not-opted-in"},
}

func newWorld(defaultAccount string) *world {
	w := &world{
		defaultAccount:   defaultAccount,
		defaultPrincipal: "arn:aws:iam::" + defaultAccount + ":user/cmkguard",
		defaultRegion:    "us-east-1",
		credentials:      map[string]identity{},
		roles:            map[string]bool{},
		zones:            map[zoneKey]*zone{},
		created:          time.Now().UTC().Truncate(time.Second),
	}
	w.setRegions(standardRegions)
	return w
}

func (w *world) setRegions(regions []EstateRegion) {
	w.regions = append([]EstateRegion(nil), regions...)
	w.regionByName = make(map[string]EstateRegion, len(regions))
	for _, r := range w.regions {
		w.regionByName[r.Name] = r
	}
}

func (r EstateRegion) optIn() string {
	if r.OptInStatus == "" {
		return "opt-in-not-required"
	}
	return r.OptInStatus
}

func (r EstateRegion) enabled() bool { return r.optIn() != "not-opted-in" }

// zone returns (creating) the state of an account in a region.
func (w *world) zone(account, region string) *zone {
	k := zoneKey{account, region}
	z := w.zones[k]
	if z == nil {
		z = &zone{account: account, region: region, keys: map[string]*kmsKey{}, aliases: map[string]*kmsAlias{}}
		z.instances.init()
		z.tasks.init()
		z.endpoints.init()
		z.configs.init()
		z.subnetGroups.init()
		z.instanceProfiles.init()
		z.certificates.init()
		z.assessmentRuns.init()
		w.zones[k] = z
	}
	return z
}

// peek returns an existing zone without creating one.
func (w *world) peek(account, region string) *zone { return w.zones[zoneKey{account, region}] }

func (w *world) nextSeq() uint64 {
	w.seq++
	return w.seq
}

func (w *world) knownAccount(id string) bool {
	if id == w.defaultAccount {
		return true
	}
	for _, a := range w.accounts {
		if a.ID == id {
			return true
		}
	}
	return false
}

// record is what every DMS resource has: identity, order, status and tags.
type record struct {
	id      string // the user's identifier, lower-case
	arn     string
	seq     uint64
	created time.Time
	status  string
	next    string // the status that takes effect at "at"; "" for none
	at      time.Time
	then    func() // runs when next takes effect
	tags    []tagPair
}

type tagPair struct{ Key, Value string }

func (r *record) base() *record { return r }

// settle applies a pending status change whose time has come.
func (r *record) settle(now time.Time) {
	if r.next != "" && !now.Before(r.at) {
		r.status, r.next = r.next, ""
		if f := r.then; f != nil {
			r.then = nil
			f()
		}
	}
}

// transition sets a status now and another once at has passed.
func (r *record) transition(now, at time.Time, during, after string, then func()) {
	r.status, r.next, r.at, r.then = during, after, at, then
	r.settle(now.Add(-1)) // never settles immediately: the caller sees "during"
}

func (r *record) goneAt(now time.Time) bool {
	r.settle(now)
	return r.status == statusGone
}

// resource is a pointer to a type embedding record.
type resource interface{ base() *record }

// table indexes resources of one kind in a zone, in creation order.
type table[T resource] struct {
	byID  map[string]T
	byARN map[string]T
	list  []T
}

func (t *table[T]) init() {
	t.byID = map[string]T{}
	t.byARN = map[string]T{}
}

func (t *table[T]) add(v T) {
	r := v.base()
	t.byID[r.id] = v
	t.byARN[r.arn] = v
	t.list = append(t.list, v)
}

func (t *table[T]) drop(v T) {
	r := v.base()
	if cur, ok := t.byID[r.id]; ok && cur.base() == r {
		delete(t.byID, r.id)
	}
	delete(t.byARN, r.arn)
}

// byIdentifier returns the live resource with a user identifier.
func (t *table[T]) byIdentifier(id string, now time.Time) (T, bool) { return t.find(t.byID, id, now) }

// byArn returns the live resource with an ARN.
func (t *table[T]) byArn(arn string, now time.Time) (T, bool) { return t.find(t.byARN, arn, now) }

// find looks a key up in one of the table's indexes, forgetting a
// resource whose deletion has completed.
func (t *table[T]) find(index map[string]T, key string, now time.Time) (T, bool) {
	v, ok := index[key]
	if !ok {
		return v, false
	}
	if v.base().goneAt(now) {
		t.drop(v)
		var zero T
		return zero, false
	}
	return v, true
}

// rename gives v a new identifier; "" keeps the current one.
func (t *table[T]) rename(v T, newID string) {
	if newID == "" {
		return
	}
	r := v.base()
	delete(t.byID, r.id)
	r.id = newID
	t.byID[newID] = v
}

// live returns the resources that still exist, in creation order.
func (t *table[T]) live(now time.Time) []T {
	out := make([]T, 0, len(t.list))
	kept := t.list[:0]
	for _, v := range t.list {
		if v.base().goneAt(now) {
			t.drop(v)
			continue
		}
		kept = append(kept, v)
		out = append(out, v)
	}
	clear(t.list[len(kept):])
	t.list = kept
	return out
}

// lookup returns the live resources named by identifiers or ARNs, in
// creation order: the fast path of an id or ARN filter.
func (t *table[T]) lookup(now time.Time, ids, arns []string) []T {
	seen := map[*record]bool{}
	var out []T
	add := func(v T, ok bool) {
		if ok && !seen[v.base()] {
			seen[v.base()] = true
			out = append(out, v)
		}
	}
	for _, id := range ids {
		add(t.byIdentifier(id, now))
	}
	for _, arn := range arns {
		add(t.byArn(arn, now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].base().seq < out[j].base().seq })
	return out
}

// pageOf pages a list sorted by seq.
func pageOf[T resource](list []T, now time.Time, marker string, max int, match func(T) bool) ([]T, string, *apiError) {
	start, err := decodeMarker(marker)
	if err != nil {
		return nil, "", err
	}
	i := sort.Search(len(list), func(i int) bool { return list[i].base().seq >= start })
	var out []T
	for ; i < len(list); i++ {
		v := list[i]
		if v.base().goneAt(now) || !match(v) {
			continue
		}
		if len(out) == max {
			return out, encodeMarker(v.base().seq), nil
		}
		out = append(out, v)
	}
	return out, "", nil
}

var errBadMarker = errors.New("invalid marker")

func encodeMarkerString(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeMarkerString(m string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	return string(b), err
}

func encodeMarker(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("cmkguard-page:" + strconv.FormatUint(seq, 10)))
}

func decodeMarker(m string) (uint64, *apiError) {
	if m == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(m)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), "cmkguard-page:"); ok {
			if n, err := strconv.ParseUint(rest, 10, 64); err == nil {
				return n, nil
			}
		}
	}
	return 0, badRequest("InvalidParameterValueException", "Invalid Marker: %s", m)
}

// opaqueID returns an id like DMS's resource ids: 26 upper-case letters and digits.
func opaqueID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [26]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// uuid returns a random RFC 4122 version 4 UUID.
func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexdig = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexdig[c>>4], hexdig[c&0xf])
	}
	return string(out)
}

// epoch is a timestamp in JSON as epoch seconds, as awsJson1_1 sends them.
type epoch time.Time

// MarshalJSON writes seconds since the epoch with millisecond precision.
func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds (a number).
func (e *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*e = epoch(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}

func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}
