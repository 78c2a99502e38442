package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard"
	"github.com/cmkguard/cmkguard/finding"
	"github.com/cmkguard/cmkguard/internal/awsemu"
	"github.com/cmkguard/cmkguard/internal/cli"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
	"github.com/cmkguard/cmkguard/internal/cli/factory"
	"github.com/cmkguard/cmkguard/internal/estatefile"
	"github.com/cmkguard/cmkguard/internal/iostreams"
	"github.com/cmkguard/cmkguard/rule"
	"github.com/cmkguard/cmkguard/state"
)

// noRegionsKey is an access key whose principal may not call
// ec2:DescribeRegions.
const noRegionsKey = "AKIDCMKGUARDNOREGION"

// TestAuditCommandAgainstTheEmulator runs `cmkguard audit` as a user would,
// through cli.Main, the standard AWS configuration (environment variables
// only) and --endpoint-url, against the emulator serving the demo estate.
func TestAuditCommandAgainstTheEmulator(t *testing.T) {
	est, err := estatefile.Parse(cmkguard.DemoEstateYAML)
	if err != nil {
		t.Fatal(err)
	}
	est.Credentials = append(est.Credentials, awsemu.EstateCredential{AccessKeyID: noRegionsKey, Account: est.DefaultAccount,
		Principal: "arn:aws:iam::" + est.DefaultAccount + ":user/cmkguard-no-regions"})
	srv := awsemu.New(awsemu.Options{DefaultAccount: est.DefaultAccount})
	if err := srv.LoadEstate(est); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	var runWith func(t *testing.T, stderrTTY bool, args ...string) (int, string, string)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", home+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", home+"/credentials")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCMKGUARDE2E")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")

	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runWith(t, false, args...)
	}
	runWith = func(t *testing.T, stderrTTY bool, args ...string) (int, string, string) {
		t.Helper()
		ios, _, out, errOut := iostreams.Test()
		ios.SetStderrTTY(stderrTTY)
		f := &factory.Factory{IOStreams: ios, Now: func() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) }, Version: "e2e"}
		code := cli.Main(context.Background(), f, append([]string{"audit", "--endpoint-url", ts.URL}, args...))
		return code, out.String(), errOut.String()
	}

	t.Run("the demo estate's findings exit 3 and the JSON report holds them", func(t *testing.T) {
		code, out, errOut := run("--format", "json", "--stats")
		if code != exit.Findings {
			t.Fatalf("exit %d, want 3\nstderr:\n%s", code, errOut)
		}
		var rep finding.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("stdout is not the JSON report: %v", err)
		}
		if rep.Summary.Fail == 0 || rep.Summary.Unknown == 0 || rep.Summary.Pass == 0 {
			t.Errorf("summary %+v: the demo estate has FAIL, UNKNOWN and PASS findings", rep.Summary)
		}
		for _, want := range []string{"API calls", "ec2:DescribeRegions", "dms:DescribeReplicationInstances", "kms:DescribeKey"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("--stats output has no %q:\n%s", want, errOut)
			}
		}
	})

	t.Run("fail-on none exits 0", func(t *testing.T) {
		if code, _, errOut := run("--fail-on", "none"); code != exit.OK {
			t.Errorf("exit %d, want 0\n%s", code, errOut)
		}
	})

	t.Run("a region without DMS resources is clean, after one region-list call that checks it", func(t *testing.T) {
		srv.ResetLog()
		code, out, errOut := run("--region", "us-west-2")
		if code != exit.OK {
			t.Errorf("exit %d, want 0\n%s", code, errOut)
		}
		if !strings.Contains(out, "us-west-2") {
			t.Errorf("table does not list us-west-2:\n%s", out)
		}
		n := 0
		for _, e := range srv.Requests() {
			if e.Action() == "ec2:DescribeRegions" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("DescribeRegions called %d times with --region, want 1", n)
		}
	})

	t.Run("progress goes to stderr only when it is a terminal", func(t *testing.T) {
		_, _, piped := runWith(t, false, "--region", "us-west-2,eu-west-1")
		_, _, term := runWith(t, true, "--region", "us-west-2,eu-west-1")
		if strings.Contains(piped, "scanning") {
			t.Errorf("progress on a piped stderr:\n%s", piped)
		}
		for _, want := range []string{"scanning", "eu-west-1:", "us-west-2: 0 instances"} {
			if !strings.Contains(term, want) {
				t.Errorf("terminal stderr has no %q:\n%s", want, term)
			}
		}
	})

	t.Run("regions that are not the account's are usage errors, and no DMS call is made", func(t *testing.T) {
		tests := []struct {
			region, want string
		}{
			{"xx-fake-1", `"xx-fake-1": not an AWS region name`},
			{"eu-fake-9", `"eu-fake-9": no such region in this account's partition (ec2:DescribeRegions lists `},
			{"us-east-1,cn-north-1", "different AWS partitions"},
		}
		for _, tt := range tests {
			srv.ResetLog()
			code, out, errOut := run("--region", tt.region)
			if code != exit.Usage || !strings.Contains(errOut, tt.want) {
				t.Errorf("--region %s: exit %d, stderr %q; want 2 and %q", tt.region, code, errOut, tt.want)
			}
			if out != "" {
				t.Errorf("--region %s: a report was written:\n%s", tt.region, out)
			}
			for _, e := range srv.Requests() {
				if strings.HasPrefix(e.Action(), "dms:") {
					t.Errorf("--region %s: %s called", tt.region, e.Action())
				}
			}
		}
	})

	t.Run("an opt-in region that is not enabled is skipped and named", func(t *testing.T) {
		code, out, errOut := run("--region", "af-south-1,us-west-2", "--format", "json")
		if code != exit.OK {
			t.Fatalf("exit %d, want 0\n%s", code, errOut)
		}
		var rep finding.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rep.Regions {
			got[r.Region] = r.Status
		}
		if diff := cmp.Diff(map[string]string{"af-south-1": "skipped", "us-west-2": "scanned"}, got); diff != "" {
			t.Errorf("regions (-want +got):\n%s", diff)
		}
	})

	t.Run("every kind is audited by default and the report records the scope", func(t *testing.T) {
		code, out, errOut := run("--format", "json", "--fail-on", "none")
		if code != exit.OK {
			t.Fatalf("exit %d, want 0\n%s", code, errOut)
		}
		var rep finding.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, k := range state.ResourceKinds {
			kinds = append(kinds, string(k))
		}
		if diff := cmp.Diff(kinds, rep.Scope.Resources); diff != "" {
			t.Errorf("scope (-want +got):\n%s", diff)
		}
		if ne := rep.Scope.NotEvaluated(); len(ne) != 0 {
			t.Errorf("rules not evaluated in the default audit: %v", ne)
		}
		types := map[string]bool{}
		for _, f := range rep.Findings {
			types[f.ResourceType] = true
		}
		for _, want := range []string{"AWS::DMS::ReplicationInstance", "AWS::DMS::ReplicationConfig", "AWS::DMS::Endpoint"} {
			if !types[want] {
				t.Errorf("the default audit has no %s finding (types %v)", want, types)
			}
		}
	})

	t.Run("--scope narrows the audit and every report names the rules not evaluated", func(t *testing.T) {
		code, out, errOut := run("--scope", "instances", "--format", "json", "--fail-on", "none")
		if code != exit.OK {
			t.Fatalf("exit %d, want 0\n%s", code, errOut)
		}
		var rep finding.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rep.Scope.NotEvaluated() {
			ids = append(ids, r.ID)
		}
		var others []string
		for _, r := range rule.All() {
			if r.Kind() != state.KindInstances {
				others = append(others, r.Metadata().ID)
			}
		}
		if diff := cmp.Diff(others, ids); diff != "" {
			t.Errorf("rules not evaluated (-want +got):\n%s", diff)
		}
		for _, f := range rep.Findings {
			if f.ResourceType != "AWS::DMS::ReplicationInstance" && f.ResourceType != "AWS::Region" {
				t.Errorf("--scope instances reported a %s", f.ResourceType)
			}
		}
		_, table, _ := run("--scope", "instances", "--fail-on", "none")
		if !strings.Contains(table, "NOT EVALUATED  CMKG-DMS-005") {
			t.Errorf("the table does not show CMKG-DMS-005 as not evaluated:\n%s", table)
		}
	})

	t.Run("an unknown --scope kind is a usage error", func(t *testing.T) {
		code, _, errOut := run("--scope", "instances,tasks")
		if code != exit.Usage || !strings.Contains(errOut, `unknown resource kind "tasks"`) {
			t.Errorf("exit %d, stderr %q; want 2 naming the kind", code, errOut)
		}
	})

	t.Run("the old --include flags are accepted as deprecated aliases", func(t *testing.T) {
		code, out, errOut := run("--include-serverless", "--include-endpoints", "--format", "json", "--fail-on", "none")
		if code != exit.OK || !strings.Contains(errOut, "deprecated") {
			t.Fatalf("exit %d, stderr %q; want 0 and a deprecation notice", code, errOut)
		}
		var rep finding.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Scope.Resources) != len(state.ResourceKinds) {
			t.Errorf("scope %v, want every kind", rep.Scope.Resources)
		}
		code, out, _ = run("--scope", "instances", "--include-endpoints", "--format", "json", "--fail-on", "none")
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exit.OK {
			t.Fatalf("exit %d: %v", code, err)
		}
		if diff := cmp.Diff([]string{"instances", "endpoints"}, rep.Scope.Resources); diff != "" {
			t.Errorf("--scope instances --include-endpoints (-want +got):\n%s", diff)
		}
	})

	t.Run("an audit that evaluated no region is an error, whatever --fail-on says", func(t *testing.T) {
		for _, region := range []string{"af-south-1", "ap-southeast-2"} { // not enabled; cannot be listed
			code, _, errOut := run("--region", region, "--fail-on", "none")
			if code != exit.Error || !strings.Contains(errOut, "no region could be audited") {
				t.Errorf("--region %s: exit %d, stderr %q; want 1 and a clear message", region, code, errOut)
			}
		}
	})

	t.Run("with the region list denied, given regions are scanned and stderr says so", func(t *testing.T) {
		srv.AddDeny(awsemu.DenyRule{Action: "ec2:DescribeRegions", Principal: "*:user/cmkguard-no-regions"})
		t.Setenv("AWS_ACCESS_KEY_ID", noRegionsKey)
		code, out, errOut := run("--region", "us-west-2")
		if code != exit.OK {
			t.Errorf("exit %d, want 0\n%s", code, errOut)
		}
		if !strings.Contains(errOut, "warning: could not check the regions given (us-west-2)") || !strings.Contains(errOut, "ec2:DescribeRegions was denied") {
			t.Errorf("stderr does not say the regions were not checked:\n%s", errOut)
		}
		if !strings.Contains(out, "us-west-2") {
			t.Errorf("table does not list us-west-2:\n%s", out)
		}
	})

	t.Run("a broad ignore file is refused unless allowed, and unused entries are warned about", func(t *testing.T) {
		dir := t.TempDir()
		broad := dir + "/broad.yaml"
		if err := os.WriteFile(broad, []byte("suppressions:\n  - {resource: '*', rule: '*', reason: everything, expires: 2026-12-31}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := run("--ignore-file", broad)
		if code != exit.Usage || !strings.Contains(errOut, "--allow-broad-suppressions") {
			t.Errorf("exit %d, stderr %q; want 2 naming --allow-broad-suppressions", code, errOut)
		}
		if code, _, errOut = run("--ignore-file", broad, "--allow-broad-suppressions"); code != exit.OK {
			t.Errorf("with --allow-broad-suppressions: exit %d, want 0 (everything suppressed)\n%s", code, errOut)
		}
		stale := dir + "/stale.yaml"
		if err := os.WriteFile(stale, []byte("suppressions:\n  - {resource: 'arn:aws:dms:*:*:rep:NO-SUCH-INSTANCE', rule: dms-instance-cmk, reason: gone, expires: 2026-12-31}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, errOut = run("--ignore-file", stale, "--fail-on", "none")
		if !strings.Contains(errOut, "warning: "+stale+" suppression #1 matched no finding") {
			t.Errorf("stderr does not warn about the unused entry:\n%s", errOut)
		}
	})

	t.Run("an ignore file entry selects a live resource by its tag", func(t *testing.T) {
		file := t.TempDir() + "/tags.yaml"
		if err := os.WriteFile(file, []byte("suppressions:\n  - {tag: 'cost-center=41*', rule: dms-instance-cmk, reason: replaced in Q1, expires: 2026-12-31}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		srv.ResetLog()
		code, out, errOut := run("--ignore-file", file, "--format", "json", "--fail-on", "none", "--region", "us-east-1")
		if code != exit.OK {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		var rep finding.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		suppressed := map[string]bool{}
		for _, f := range rep.Findings {
			if f.Status == finding.StatusSuppressed {
				suppressed[f.ResourceID+" "+f.ShortCode] = true
			}
		}
		if diff := cmp.Diff(map[string]bool{"payments-cdc-prod-01 dms-instance-cmk": true}, suppressed); diff != "" {
			t.Errorf("suppressed by tag (-want +got):\n%s", diff)
		}
		tagCalls := 0
		for _, e := range srv.Requests() {
			if e.Action() == "dms:ListTagsForResource" {
				tagCalls++
			}
		}
		if tagCalls != 1 {
			t.Errorf("dms:ListTagsForResource called %d times, want once for the region", tagCalls)
		}
	})

	t.Run("an invalid ignore file exits 2", func(t *testing.T) {
		code, _, errOut := run("--ignore-file", "/nonexistent/ignore.yaml")
		if code != exit.Usage || !strings.Contains(errOut, "ignore.yaml") {
			t.Errorf("exit %d, stderr %q; want 2 and the file named", code, errOut)
		}
	})
}

// TestOrgAuditCommandAgainstTheEmulator runs `cmkguard audit --org` through
// cli.Main and the real SDK against an organization of three active
// accounts (one of which denies the audit role) and a suspended one.
func TestOrgAuditCommandAgainstTheEmulator(t *testing.T) {
	const mgmt, member, locked, suspended = "111122223333", "222233334444", "333344445555", "777788889999"
	est := &awsemu.Estate{
		DefaultAccount: mgmt,
		Accounts: []awsemu.EstateAccount{{ID: mgmt, Name: "management"}, {ID: member, Name: "payments"},
			{ID: locked, Name: "locked-down"}, {ID: suspended, Name: "old-sandbox", Status: "SUSPENDED"}},
		Organization: &awsemu.EstateOrganization{ID: "o-a1b2c3d4e5", ManagementAccount: mgmt},
		Roles:        []string{"arn:aws:iam::" + member + ":role/cmkguard-audit", "arn:aws:iam::" + locked + ":role/cmkguard-audit"},
		Regions:      []awsemu.EstateRegion{{Name: "us-east-1"}, {Name: "eu-west-1"}},
		Keys: []awsemu.EstateKey{
			{ID: "aaaaaaaa-2222-0000-0000-000000000001", Account: member, Region: "eu-west-1"},
		},
		ReplicationInstances: []awsemu.EstateReplicationInstance{
			{ID: "mgmt-default", Account: mgmt, Region: "us-east-1"},
			{ID: "member-cmk", Account: member, Region: "eu-west-1", KmsKey: "arn:aws:kms:eu-west-1:" + member + ":key/aaaaaaaa-2222-0000-0000-000000000001"},
			{ID: "member-default", Account: member, Region: "us-east-1"},
			{ID: "locked-default", Account: locked, Region: "us-east-1"},
		},
		Deny: []awsemu.DenyRule{{Action: "sts:AssumeRole", Resource: "arn:aws:iam::" + locked + ":role/cmkguard-audit"}},
	}
	srv := awsemu.New(awsemu.Options{DefaultAccount: mgmt})
	if err := srv.LoadEstate(est); err != nil {
		t.Fatal(err)
	}
	// Record the AssumeRole requests' form, which the request log does not
	// keep, to see the external id and session name cmkguard sends.
	var mu sync.Mutex
	var assumeForms []url.Values
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request: %v", err)
		}
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "AssumeRole" {
			mu.Lock()
			assumeForms = append(assumeForms, form)
			mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", home+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", home+"/credentials")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCMKGUARDORG")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")

	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IOStreams: ios, Now: func() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) }, Version: "e2e"}
	code := cli.Main(context.Background(), f, []string{"audit", "--endpoint-url", ts.URL, "--org", "--assume-role", "cmkguard-audit",
		"--external-id", "cmkguard-e2e", "--format", "json,table=" + home + "/org.txt", "--stats"})
	if code != exit.Findings {
		t.Fatalf("exit %d, want 3\nstderr:\n%s", code, errOut)
	}
	var rep finding.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v", err)
	}
	if diff := cmp.Diff([]string{mgmt, member, locked, suspended}, rep.Accounts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	got := map[string]finding.Status{}
	for _, fd := range rep.Findings {
		if fd.ShortCode == "dms-instance-cmk" {
			got[fd.Account+" "+fd.ResourceID] = fd.Status
		}
		if fd.Account == locked && (fd.Status == finding.StatusPass || fd.MissingPermission != "sts:AssumeRole" ||
			!strings.Contains(fd.Reason, "could not assume arn:aws:iam::"+locked+":role/cmkguard-audit")) {
			t.Errorf("the locked-down account's finding: %s %s (%s) %q", fd.RuleID, fd.Status, fd.MissingPermission, fd.Reason)
		}
	}
	want := map[string]finding.Status{
		mgmt + " mgmt-default": finding.StatusFail, member + " member-cmk": finding.StatusPass,
		member + " member-default": finding.StatusFail, locked + " " + locked: finding.StatusUnknown,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CMKG-DMS-001 by account (-want +got):\n%s", diff)
	}
	table, err := os.ReadFile(home + "/org.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, phrase := range []string{"old-sandbox) is SUSPENDED in the organization: not scanned", "region failed " + locked + "/*"} {
		if !strings.Contains(string(table), phrase) {
			t.Errorf("the table does not say %q:\n%s", phrase, table)
		}
	}
	for _, phrase := range []string{"sts:AssumeRole", "organizations:ListAccounts"} {
		if !strings.Contains(errOut.String(), phrase) {
			t.Errorf("--stats does not count %s:\n%s", phrase, errOut)
		}
	}
	var roles []string
	for _, form := range assumeForms {
		roles = append(roles, form.Get("RoleArn"))
		if form.Get("ExternalId") != "cmkguard-e2e" || form.Get("RoleSessionName") != "cmkguard-audit" {
			t.Errorf("AssumeRole sent external id %q, session %q; want cmkguard-e2e, cmkguard-audit", form.Get("ExternalId"), form.Get("RoleSessionName"))
		}
	}
	slices.Sort(roles)
	// Never the caller's own account, never the suspended one.
	wantRoles := []string{"arn:aws:iam::" + member + ":role/cmkguard-audit", "arn:aws:iam::" + locked + ":role/cmkguard-audit"}
	if diff := cmp.Diff(wantRoles, roles); diff != "" {
		t.Errorf("roles assumed (-want +got):\n%s", diff)
	}
}
