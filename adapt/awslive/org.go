package awslive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cmkguard/cmkguard/keyref"
	"github.com/cmkguard/cmkguard/state"
)

// Organisation-wide scan defaults.
const (
	// DefaultRoleName is the role AWS Organizations creates in every
	// account it creates, trusted by the management account.
	DefaultRoleName = "OrganizationAccountAccessRole"
	// DefaultAccountConcurrency accounts are scanned at once (each with
	// every region at once).
	DefaultAccountConcurrency = 8
	// SessionName is the role session name every AssumeRole uses, so that
	// CloudTrail shows cmkguard's calls for what they are.
	SessionName = "cmkguard-audit"
	// AllRegions is the region of a state.RegionScan that stands for a
	// whole account: one skipped (suspended) or failed (its role could
	// not be assumed) before any region could be listed.
	AllRegions = "*"
)

// OrgOptions choose the accounts ScanAccounts covers and how it reaches
// them.
type OrgOptions struct {
	// Organization lists the accounts with organizations:ListAccounts (all
	// pages); accounts not ACTIVE are skipped and recorded as such.
	Organization bool
	// Accounts are the account ids to scan when Organization is false.
	Accounts []string
	// RoleName is the role assumed in every account but the caller's;
	// empty means DefaultRoleName. It may carry a path (path/Name).
	RoleName string
	// ExternalID is passed to sts:AssumeRole when not empty.
	ExternalID string
	// MaxParallel bounds the accounts scanned at once; zero means
	// DefaultAccountConcurrency.
	MaxParallel int
}

var roleNamePattern = regexp.MustCompile(`^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)

// ValidRoleName reports whether name can be an IAM role name, with an
// optional path (audit/cmkguard-reader).
func ValidRoleName(name string) bool { return roleNamePattern.MatchString(name) }

// ValidAccountID reports whether id is a 12-digit AWS account id.
func ValidAccountID(id string) bool { return keyref.AccountPattern.MatchString(id) }

// ListAccountsAPI lists an organization's accounts; it is the SDK's
// paginator client interface.
type ListAccountsAPI = organizations.ListAccountsAPIClient

// OrgClients gives ScanAccounts what it needs: the caller's identity, the
// organization's account list, the caller's own Clients (for its own
// account), and a way to get Clients acting as a role in another account.
type OrgClients struct {
	Identity      CallerIdentityAPI
	Organizations ListAccountsAPI
	Caller        Clients
	// AssumeRole returns Clients whose calls act as roleARN. It must have
	// obtained the role's credentials before returning, so that a role that
	// cannot be assumed is an error here, and not a failure of every call.
	AssumeRole func(ctx context.Context, roleARN string) (Clients, error)
}

// ScanOrganization is ScanAccounts with SDK clients built from cfg: the
// caller's credentials for the organization, STS and the caller's own
// account, and credentials from sts:AssumeRole (cached and refreshed by the
// SDK) for every other account. The returned Stats counts every call.
func ScanOrganization(ctx context.Context, cfg aws.Config, org OrgOptions, opts Options) (state.State, *Stats, error) {
	stats := NewStats()
	counted := cfg.Copy()
	counted.APIOptions = append(counted.APIOptions, stats.AddMiddleware)
	stsClient := sts.NewFromConfig(counted)
	c := OrgClients{
		Identity:      stsClient,
		Organizations: organizations.NewFromConfig(counted),
		Caller:        NewClients(cfg, stats),
		AssumeRole: func(ctx context.Context, roleARN string) (Clients, error) {
			provider := stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = SessionName
				if org.ExternalID != "" {
					o.ExternalID = aws.String(org.ExternalID)
				}
			})
			creds := aws.NewCredentialsCache(provider)
			if _, err := creds.Retrieve(ctx); err != nil {
				return Clients{}, err
			}
			role := cfg.Copy()
			role.Credentials = creds
			return NewClients(role, stats), nil
		},
	}
	st, err := ScanAccounts(ctx, c, org, opts)
	return st, stats, err
}

// ScanAccounts scans several accounts with Scan, at most org.MaxParallel at
// once, and merges their states. The caller's own account is scanned with
// the caller's credentials; every other account through org.RoleName.
//
// No account is dropped: a suspended or closing account of the
// organization is recorded as skipped, and an account whose role cannot be
// assumed (or whose scan cannot start) as failed, with the reason and the
// missing permission, so the rules give it UNKNOWN findings. It returns an
// error only when nothing can be scanned (the caller cannot be identified,
// the organization cannot be listed), for an InvalidRegionError (the regions
// given are wrong for every account alike), or when ctx ends.
func ScanAccounts(ctx context.Context, c OrgClients, org OrgOptions, opts Options) (state.State, error) {
	org.RoleName = cmp.Or(org.RoleName, DefaultRoleName)
	if org.MaxParallel <= 0 {
		org.MaxParallel = DefaultAccountConcurrency
	}
	caller, partition, targets, skipped, err := accountsToScan(ctx, c, org)
	if err != nil {
		return state.State{}, err
	}
	st := state.State{Instances: []state.ReplicationInstance{}}
	st.Regions = append(st.Regions, skipped...)

	results := make([]accountResult, len(targets))
	eachBounded(ctx, len(targets), org.MaxParallel, func(i int) {
		roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, targets[i], org.RoleName)
		results[i] = scanOneAccount(ctx, c, targets[i], caller, roleARN, opts)
	})
	if err := ctx.Err(); err != nil {
		return state.State{}, fmt.Errorf("scan interrupted: %w", err)
	}
	for _, r := range results {
		if r.err != nil {
			return state.State{}, r.err
		}
		st.Regions = append(st.Regions, r.st.Regions...)
		st.Instances = append(st.Instances, r.st.Instances...)
		st.ReplicationConfigs = append(st.ReplicationConfigs, r.st.ReplicationConfigs...)
		st.Endpoints = append(st.Endpoints, r.st.Endpoints...)
	}
	slices.SortFunc(st.Regions, func(a, b state.RegionScan) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region))
	})
	return st, nil
}

type accountResult struct {
	st  state.State
	err error // only for a cancelled scan or regions that are wrong everywhere
}

// accountsToScan identifies the caller and, at the same time, lists the
// organization's accounts (or takes the ones given).
func accountsToScan(ctx context.Context, c OrgClients, org OrgOptions) (caller, partition string, targets []string, skipped []state.RegionScan, err error) {
	var wg sync.WaitGroup
	var id *sts.GetCallerIdentityOutput
	var idErr, listErr error
	var accounts []orgtypes.Account
	wg.Add(1)
	go func() {
		defer wg.Done()
		id, idErr = c.Identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}()
	if org.Organization {
		wg.Add(1)
		go func() {
			defer wg.Done()
			accounts, listErr = listAccounts(ctx, c.Organizations)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return "", "", nil, nil, fmt.Errorf("scan interrupted: %w", err)
	}
	if idErr != nil {
		return "", "", nil, nil, fmt.Errorf("identify the caller (sts:GetCallerIdentity): %s", classify("sts:GetCallerIdentity", idErr).reason)
	}
	caller = aws.ToString(id.Account)
	partition = "aws"
	if parts := strings.SplitN(aws.ToString(id.Arn), ":", 3); len(parts) == 3 && parts[1] != "" {
		partition = parts[1]
	}
	if !org.Organization {
		for _, a := range org.Accounts {
			if !ValidAccountID(a) {
				return "", "", nil, nil, fmt.Errorf("%q is not a 12-digit AWS account id", a)
			}
		}
		return caller, partition, slices.Compact(slices.Sorted(slices.Values(org.Accounts))), nil, nil
	}
	if listErr != nil {
		p := classify("organizations:ListAccounts", listErr)
		return "", "", nil, nil, fmt.Errorf("list the organization's accounts: %s; run from the management account or a delegated administrator with organizations:ListAccounts, or name the accounts with --accounts", p.reason)
	}
	if len(accounts) == 0 {
		// The caller's own account is always a member: an empty list is a
		// broken answer, and scanning nothing would look clean.
		return "", "", nil, nil, fmt.Errorf("organizations:ListAccounts listed no account; name the accounts with --accounts")
	}
	for _, a := range accounts {
		accountID := aws.ToString(a.Id)
		status := string(a.Status)
		if s := string(a.State); s != "" {
			status = s // State supersedes the deprecated Status
		}
		if !strings.EqualFold(status, "ACTIVE") {
			skipped = append(skipped, state.RegionScan{Account: accountID, Region: AllRegions, Status: state.RegionSkipped,
				Reason: fmt.Sprintf("account %s (%s) is %s in the organization: not scanned", accountID, aws.ToString(a.Name), status)})
			continue
		}
		targets = append(targets, accountID)
	}
	return caller, partition, slices.Compact(slices.Sorted(slices.Values(targets))), skipped, nil
}

// listAccounts reads every page of the organization's accounts.
func listAccounts(ctx context.Context, c ListAccountsAPI) ([]orgtypes.Account, error) {
	var out []orgtypes.Account
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Accounts...)
	}
	return out, nil
}

// scanOneAccount scans account, through roleARN unless it is the caller's.
// Every failure but cancellation and wrong regions becomes a failed
// account entry.
func scanOneAccount(ctx context.Context, c OrgClients, account, caller, roleARN string, opts Options) accountResult {
	failed := func(reason, permission string) accountResult {
		return accountResult{st: state.State{Regions: []state.RegionScan{{Account: account, Region: AllRegions,
			Status: state.RegionFailed, Reason: reason, MissingPermission: permission}}}}
	}
	clients := c.Caller
	if account != caller {
		var err error
		clients, err = c.AssumeRole(ctx, roleARN)
		if err != nil {
			if isCanceled(ctx, err) {
				return accountResult{err: fmt.Errorf("assume %s: %w", roleARN, err)}
			}
			p := classify("sts:AssumeRole", err)
			return failed(fmt.Sprintf("the account could not be scanned: cmkguard could not assume %s: %s; the role must exist in the account and trust the auditing principal (with this external id, if it requires one), and the auditing principal needs sts:AssumeRole on it",
				roleARN, p.reason), p.permission)
		}
	}
	if opts.Progress != nil {
		progress := opts.Progress
		opts.Progress = func(p Progress) {
			p.Account = account
			progress(p)
		}
	}
	if opts.Warn != nil {
		warn := opts.Warn
		opts.Warn = func(msg string) { warn("account " + account + ": " + msg) }
	}
	st, err := Scan(ctx, clients, opts)
	if err != nil {
		var badRegion *InvalidRegionError
		if isCanceled(ctx, err) || errors.As(err, &badRegion) {
			return accountResult{err: err}
		}
		var start *StartError
		permission := ""
		if errors.As(err, &start) {
			permission = start.MissingPermission
		}
		return failed("the account could not be scanned: "+err.Error(), permission)
	}
	for _, r := range st.Regions {
		if r.Account != account {
			return failed(fmt.Sprintf("the account could not be scanned: the credentials for it act as account %s (is %s the right role?)", r.Account, roleARN), "")
		}
	}
	return accountResult{st: st}
}
