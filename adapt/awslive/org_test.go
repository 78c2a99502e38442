package awslive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
)

// fakeOrg is an organization of fake accounts: ListAccounts pages two at a
// time, AssumeRole hands out the account's fake clients.
type fakeOrg struct {
	caller   string
	accounts []orgtypes.Account
	fakes    map[string]*fakeAWS // by account id
	listErr  error
	// assumeErr fails AssumeRole for a role ARN.
	assumeErr map[string]error
	// actAs makes a role's credentials act as another account.
	actAs map[string]string

	mu            sync.Mutex
	assumed       []string
	running, peak atomic.Int32
}

func newFakeOrg(caller string) *fakeOrg {
	return &fakeOrg{caller: caller, fakes: map[string]*fakeAWS{}, assumeErr: map[string]error{}, actAs: map[string]string{}}
}

// addAccount adds an account with one region and one instance on its
// AWS-managed key.
func (o *fakeOrg) addAccount(id string, status orgtypes.AccountState) {
	o.accounts = append(o.accounts, orgtypes.Account{Id: aws.String(id), Name: aws.String("acct-" + id), State: status})
	f := newFake(id)
	f.regions["us-east-1"] = "opt-in-not-required"
	key := f.addKey("us-east-1", id, "aws-default", kmstypes.KeyManagerTypeAws, kmstypes.OriginTypeAwsKms, kmstypes.KeyStateEnabled, "alias/aws/dms")
	f.addInstance("us-east-1", "ri-"+id, key)
	f.beforeDMSPage = o.peakHook
	o.fakes[id] = f
}

func (o *fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	if o.listErr != nil {
		return nil, o.listErr
	}
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	end := min(start+2, len(o.accounts))
	out := &organizations.ListAccountsOutput{Accounts: o.accounts[start:end]}
	if end < len(o.accounts) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (o *fakeOrg) clients() OrgClients {
	return OrgClients{
		Identity:      fakeCaller{o.caller},
		Organizations: o,
		Caller:        o.fakes[o.caller].clients(),
		AssumeRole: func(_ context.Context, roleARN string) (Clients, error) {
			o.mu.Lock()
			o.assumed = append(o.assumed, roleARN)
			o.mu.Unlock()
			if err := o.assumeErr[roleARN]; err != nil {
				return Clients{}, err
			}
			account := strings.Split(roleARN, ":")[4]
			if as := o.actAs[roleARN]; as != "" {
				account = as
			}
			f := o.fakes[account]
			if f == nil {
				return Clients{}, apiError("AccessDenied")
			}
			return f.clients(), nil
		},
	}
}

// peakHook records how many accounts are listing DMS at once; every
// account's fake runs it before each page.
func (o *fakeOrg) peakHook(context.Context, string) error {
	n := o.running.Add(1)
	defer o.running.Add(-1)
	time.Sleep(5 * time.Millisecond) // long enough for accounts scanned at once to overlap
	for {
		p := o.peak.Load()
		if n <= p || o.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return nil
}

type fakeCaller struct{ account string }

func (c fakeCaller) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(c.account), Arn: aws.String("arn:aws-us-gov:iam::" + c.account + ":user/auditor")}, nil
}

func roleOf(account string) string {
	return "arn:aws-us-gov:iam::" + account + ":role/" + DefaultRoleName
}

func TestScanAccountsOfAnOrganization(t *testing.T) {
	t.Parallel()
	const mgmt, member, denied, broken, impostor, suspended, closing = "100000000001", "100000000002", "100000000003", "100000000004", "100000000005", "100000000006", "100000000007"
	o := newFakeOrg(mgmt)
	for _, a := range []string{mgmt, member, denied, broken, impostor} {
		o.addAccount(a, orgtypes.AccountStateActive)
	}
	o.addAccount(suspended, orgtypes.AccountStateSuspended)
	o.addAccount(closing, orgtypes.AccountStatePendingClosure)
	o.assumeErr[roleOf(denied)] = fmt.Errorf("operation error STS: AssumeRole: %w", apiError("AccessDenied"))
	o.fakes[broken].failRegions = apiError("UnauthorizedOperation")
	o.actAs[roleOf(impostor)] = member

	st, err := ScanAccounts(context.Background(), o.clients(), OrgOptions{Organization: true, MaxParallel: 2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Status, Reason, Permission string }
	got := map[string]row{}
	for _, r := range st.Regions {
		got[r.Account+" "+r.Region] = row{string(r.Status), r.Reason, r.MissingPermission}
	}
	want := map[string]struct {
		status, reason, permission string
	}{
		mgmt + " us-east-1":   {"scanned", "", ""},
		member + " us-east-1": {"scanned", "", ""},
		denied + " *":         {"failed", "could not assume " + roleOf(denied) + ": sts:AssumeRole was denied (AccessDenied)", "sts:AssumeRole"},
		broken + " *":         {"failed", "list the account's regions: ec2:DescribeRegions was denied", "ec2:DescribeRegions"},
		impostor + " *":       {"failed", "the credentials for it act as account " + member, ""},
		suspended + " *":      {"skipped", "is SUSPENDED in the organization", ""},
		closing + " *":        {"skipped", "is PENDING_CLOSURE in the organization", ""},
	}
	if len(got) != len(want) {
		t.Errorf("regions %v, want %d entries", got, len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || g.Status != w.status || !strings.Contains(g.Reason, w.reason) || g.Permission != w.permission {
			t.Errorf("%s: %+v, want status %s, reason containing %q, permission %q", k, g, w.status, w.reason, w.permission)
		}
	}
	var instances []string
	for _, inst := range st.Instances {
		instances = append(instances, inst.Account+" "+inst.ID)
	}
	if diff := cmp.Diff([]string{mgmt + " ri-" + mgmt, member + " ri-" + member}, instances); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	// The caller's own account is never assumed, nor are skipped accounts.
	wantAssumed := []string{roleOf(member), roleOf(denied), roleOf(broken), roleOf(impostor)}
	if diff := cmp.Diff(wantAssumed, o.assumed, cmpSorted()); diff != "" {
		t.Errorf("roles assumed (-want +got):\n%s", diff)
	}
	if p := o.peak.Load(); p > 2 {
		t.Errorf("%d accounts scanned at once, above --max-accounts-parallel 2", p)
	}
}

func cmpSorted() cmp.Option {
	return cmp.Transformer("sorted", func(in []string) []string {
		out := append([]string(nil), in...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j] < out[i] {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	})
}

func TestScanAccountsStopsWhenItMust(t *testing.T) {
	t.Parallel()
	const mgmt, member = "100000000001", "100000000002"
	tests := []struct {
		name    string
		setup   func(o *fakeOrg, cancel context.CancelFunc)
		org     OrgOptions
		opts    Options
		wantErr string
		is      error
	}{
		{
			name:    "the organization cannot be listed",
			setup:   func(o *fakeOrg, _ context.CancelFunc) { o.listErr = apiError("AccessDeniedException") },
			org:     OrgOptions{Organization: true},
			wantErr: "organizations:ListAccounts was denied (AccessDeniedException); run from the management account or a delegated administrator",
		},
		{
			name:    "the organization lists no account",
			setup:   func(o *fakeOrg, _ context.CancelFunc) { o.accounts = nil },
			org:     OrgOptions{Organization: true},
			wantErr: "organizations:ListAccounts listed no account",
		},
		{
			name:    "an account id is not one",
			setup:   func(*fakeOrg, context.CancelFunc) {},
			org:     OrgOptions{Accounts: []string{"12345"}},
			wantErr: `"12345" is not a 12-digit AWS account id`,
		},
		{
			name:    "a region the accounts do not have",
			setup:   func(*fakeOrg, context.CancelFunc) {},
			org:     OrgOptions{Accounts: []string{member}},
			opts:    Options{Regions: []string{"eu-fake-9"}},
			wantErr: `"eu-fake-9": no such region`,
		},
		{
			name: "cancelled while a role is assumed",
			setup: func(o *fakeOrg, cancel context.CancelFunc) {
				cancel()
				o.assumeErr[roleOf(member)] = context.Canceled
			},
			org: OrgOptions{Accounts: []string{member}},
			is:  context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := newFakeOrg(mgmt)
			o.addAccount(mgmt, orgtypes.AccountStateActive)
			o.addAccount(member, orgtypes.AccountStateActive)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tt.setup(o, cancel)
			st, err := ScanAccounts(ctx, o.clients(), tt.org, tt.opts)
			if err == nil {
				t.Fatalf("no error; state %+v", st.Regions)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			if len(st.Regions)+len(st.Instances) != 0 {
				t.Errorf("a partial state came back with the error")
			}
		})
	}
}
