package analyse

import (
	"slices"
	"strings"
	"testing"

	"github.com/cmkguard/cmkguard/keypolicy"
)

const (
	acct   = "111122223333"
	ext    = "444455556666"
	org    = "o-a1b2c3d4e5"
	region = "us-east-1"
	via    = "dms.us-east-1.amazonaws.com"
)

// policy wraps statements (JSON objects) in a policy document.
func policy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

const (
	rootStmt = `{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`
	// awsDMSDefault is the policy KMS gives the AWS-managed aws/dms key.
	awsDMSDefault = `{"Version":"2012-10-17","Id":"auto-dms-2","Statement":[
	  {"Sid":"Allow access through DMS for all principals in the account that are authorized to use DMS","Effect":"Allow",
	   "Principal":{"AWS":"*"},
	   "Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:ListGrants","kms:DescribeKey"],
	   "Resource":"*",
	   "Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"dms.us-east-1.amazonaws.com"}}},
	  {"Sid":"Allow direct access to key metadata to the account","Effect":"Allow",
	   "Principal":{"AWS":"arn:aws:iam::111122223333:root"},
	   "Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}]}`
)

// star returns an Allow statement for Principal "*" with actions and a
// condition block (JSON object, or "" for none).
func star(sid, actions, cond string) string {
	s := `{"Sid":"` + sid + `","Effect":"Allow","Principal":"*","Action":` + actions + `,"Resource":"*"`
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

func denyStar(sid, actions, cond string) string {
	return strings.Replace(star(sid, actions, cond), `"Allow"`, `"Deny"`, 1)
}

func generated(t *testing.T, o keypolicy.Options) string {
	t.Helper()
	doc, err := keypolicy.Build(o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type want struct {
	world      Verdict
	worldStmts []string // when set, exactly these statements
	worldActs  []string // when set, these actions must be among r.Actions
	notActs    []string // these actions must not be
	dms        Verdict
	basis      Basis
	explicit   bool
	dmsStmts   []string
	reason     string // substring of the world or DMS reason
}

func TestAnalyseRealWorldPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy string
		in     Input // KeyAccount, Region default to acct, region
		want   want
	}{
		// --- defaults and the project's own policies ---
		{name: "the KMS default key policy (account root only) is closed, and leaves DMS use to IAM",
			policy: policy(rootStmt),
			want:   want{world: Pass, dms: Pass, basis: BasisIAM, dmsStmts: []string{`"EnableIAMUserPermissions"`}, reason: "leaves it to IAM"}},
		{name: "the aws/dms default-key policy (any principal, kms:CallerAccount and kms:ViaService) is the canonical safe case",
			policy: awsDMSDefault,
			want:   want{world: Pass, dms: Pass, basis: BasisKeyPolicy, reason: "limits the caller with kms:CallerAccount"}},
		{name: "a Statement given as one object, not a list, is read the same",
			policy: `{"Version":"2012-10-17","Statement":` + rootStmt + `}`,
			want:   want{world: Pass, dms: Pass, basis: BasisIAM}},

		// --- Principal "*" and its forms ---
		{name: `Principal "*" with kms:* and no condition is open to the world`,
			policy: policy(rootStmt, star("Open", `"kms:*"`, "")),
			want:   want{world: Fail, worldStmts: []string{`"Open"`}, worldActs: []string{"kms:Decrypt", "kms:PutKeyPolicy", "kms:CreateGrant"}, dms: Pass, basis: BasisKeyPolicy}},
		{name: `{"AWS": "*"} allowing only kms:Decrypt is open to the world`,
			policy: policy(rootStmt, `{"Sid":"D","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}`),
			want:   want{world: Fail, worldActs: []string{"kms:Decrypt"}, notActs: []string{"kms:Encrypt"}, dms: Pass, basis: BasisIAM}},
		{name: `{"AWS": ["*"]} in list form is open to the world`,
			policy: policy(rootStmt, `{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","*"]},"Action":["kms:GenerateDataKey"],"Resource":"*"}`),
			want:   want{world: Fail, worldStmts: []string{"#2"}, dms: Pass}},
		{name: `{"Federated": "*"} is everyone too`,
			policy: policy(rootStmt, `{"Sid":"F","Effect":"Allow","Principal":{"Federated":"*"},"Action":"kms:Decrypt","Resource":"*"}`),
			want:   want{world: Fail, dms: Pass}},
		{name: "a service principal is not the world",
			policy: policy(rootStmt, `{"Sid":"Logs","Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*","kms:GenerateDataKey*"],"Resource":"*"}`),
			want:   want{world: Pass, dms: Pass, basis: BasisIAM}},
		{name: "lower-case element names and an Allow spelled allow are read as IAM reads them",
			policy: `{"version":"2012-10-17","statement":[{"sid":"x","effect":"allow","principal":"*","action":"kms:*","resource":"*"}]}`,
			want:   want{world: Fail, worldStmts: []string{`"x"`}, dms: Pass}},
		{name: "action names are case-insensitive",
			policy: policy(rootStmt, star("Caps", `["KMS:DECRYPT"]`, "")),
			want:   want{world: Fail, worldActs: []string{"kms:Decrypt"}, dms: Pass}},
		{name: `Action "*" to "*" opens everything`,
			policy: policy(star("All", `"*"`, "")),
			want:   want{world: Fail, worldActs: []string{"kms:ScheduleKeyDeletion", "kms:Decrypt"}, dms: Pass, basis: BasisKeyPolicy}},
		{name: "a wildcard action kms:Re* opens re-encryption and grant revocation",
			policy: policy(rootStmt, star("Re", `"kms:Re*"`, "")),
			want:   want{world: Fail, worldActs: []string{"kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RevokeGrant", "kms:ReplicateKey"}, notActs: []string{"kms:Decrypt"}, dms: Pass}},
		{name: "metadata actions (Describe*, List*, GetPublicKey) to the world are not use or administration",
			policy: policy(rootStmt, star("Meta", `["kms:Describe*","kms:List*","kms:GetPublicKey"]`, "")),
			want:   want{world: Pass, dms: Pass}},

		// --- each limiting condition, and the ones that only look like it ---
		{name: "kms:CallerAccount StringEquals limits the caller",
			policy: policy(rootStmt, star("CA", `"kms:*"`, `{"StringEquals":{"kms:CallerAccount":"111122223333"}}`)),
			want:   want{world: Pass, dms: Pass, basis: BasisKeyPolicy}},
		{name: "kms:ViaService alone does not limit the caller: any account can call through DMS",
			policy: policy(rootStmt, star("Via", `["kms:Decrypt","kms:CreateGrant"]`, `{"StringEquals":{"kms:ViaService":"dms.us-east-1.amazonaws.com"}}`)),
			want:   want{world: Fail, worldStmts: []string{`"Via"`}, dms: Pass, reason: "kms:ViaService do not limit who calls"}},
		{name: "cloud-custodian #7665: kms:CallerAccount with kms:ViaService (lower-case keys, several services) is closed",
			policy: policy(rootStmt, star("Svc", `["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"]`,
				`{"StringEquals":{"kms:calleraccount":"111122223333","kms:viaservice":["rds.us-east-1.amazonaws.com","dms.us-east-1.amazonaws.com","s3.us-east-1.amazonaws.com"]}}`)),
			want: want{world: Pass, dms: Pass, basis: BasisKeyPolicy}},
		{name: "cloud-custodian #7665 with the caller account in another operator block is closed too",
			policy: policy(rootStmt, star("Svc", `"kms:Decrypt"`,
				`{"StringLike":{"kms:ViaService":"*.us-east-1.amazonaws.com"},"StringEquals":{"kms:CallerAccount":["111122223333","444455556666"]}}`)),
			want: want{world: Pass, dms: Pass}},
		{name: "aws:PrincipalOrgID StringEquals (sharing with the organisation) is closed",
			policy: policy(rootStmt, star("Org", `["kms:Decrypt","kms:GenerateDataKey*"]`, `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "aws:PrincipalOrgID ${aws:ResourceOrgID} (the key's own organisation) is closed",
			policy: policy(rootStmt, star("Org", `"kms:Decrypt"`, `{"StringEquals":{"aws:PrincipalOrgID":"${aws:ResourceOrgID}"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "aws:PrincipalOrgID StringLike o-* admits every organisation",
			policy: policy(rootStmt, star("AnyOrg", `"kms:Decrypt"`, `{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: "aws:PrincipalAccount listing two accounts is closed",
			policy: policy(rootStmt, star("PA", `"kms:*"`, `{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}`)),
			want:   want{world: Pass, dms: Pass, basis: BasisKeyPolicy}},
		{name: "aws:PrincipalArn ArnLike with a wildcard account admits any account",
			policy: policy(rootStmt, star("Role", `"kms:Decrypt"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: "aws:PrincipalArn with a wildcard account but aws:PrincipalOrgID too is closed (custodian PR 9287's shape)",
			policy: policy(rootStmt, star("Role", `"kms:Decrypt"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*-custodian-lambda-role"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "aws:PrincipalArn ArnEquals a role of the account is closed",
			policy: policy(rootStmt, star("App", `"kms:Decrypt"`, `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "aws:SourceAccount StringEquals is closed (IAM callers have no source account)",
			policy: policy(rootStmt, star("Src", `"kms:GenerateDataKey*"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "aws:SourceAccount StringEqualsIfExists is open: a direct caller has no aws:SourceAccount",
			policy: policy(rootStmt, star("SrcIf", `"kms:Decrypt"`, `{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: "kms:CallerAccount StringEqualsIfExists is closed: KMS always sets the key",
			policy: policy(rootStmt, star("CAIf", `"kms:Decrypt"`, `{"StringEqualsIfExists":{"kms:CallerAccount":"111122223333"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "aws:PrincipalOrgID StringEqualsIfExists is open: a principal outside any organisation escapes it",
			policy: policy(rootStmt, star("OrgIf", `"kms:Decrypt"`, `{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: "ForAnyValue:StringEquals on kms:CallerAccount is closed",
			policy: policy(rootStmt, star("Any", `"kms:Decrypt"`, `{"ForAnyValue:StringEquals":{"kms:CallerAccount":["111122223333"]}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "ForAllValues:StringEquals on aws:PrincipalOrgID is open: it holds when the key is missing",
			policy: policy(rootStmt, star("All", `"kms:Decrypt"`, `{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: "ForAnyValue:StringLike on aws:PrincipalOrgPaths under one organisation is closed",
			policy: policy(rootStmt, star("Paths", `"kms:Decrypt"`, `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":["o-a1b2c3d4e5/r-ab12/ou-ab12-*"]}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "StringNotEquals kms:CallerAccount admits every other account",
			policy: policy(rootStmt, star("Not", `"kms:Decrypt"`, `{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: `kms:CallerAccount StringLike "*" admits every account`,
			policy: policy(rootStmt, star("Wild", `"kms:Decrypt"`, `{"StringLike":{"kms:CallerAccount":"*"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: `kms:CallerAccount StringEquals "*" is literal and matches no account`,
			policy: policy(rootStmt, star("Literal", `"kms:Decrypt"`, `{"StringEquals":{"kms:CallerAccount":"*"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "kms:CallerAccount equal to ${aws:PrincipalAccount} always holds",
			policy: policy(rootStmt, star("Self", `"kms:Decrypt"`, `{"StringEquals":{"kms:CallerAccount":"${aws:PrincipalAccount}"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: "Null aws:PrincipalOrgID false admits any account in any organisation",
			policy: policy(rootStmt, star("Null", `"kms:Decrypt"`, `{"Null":{"aws:PrincipalOrgID":"false"}}`)),
			want:   want{world: Fail, dms: Pass}},
		{name: "aws:SecureTransport and aws:SourceIp do not limit the caller to accounts",
			policy: policy(rootStmt, star("Net", `"kms:Decrypt"`, `{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`)),
			want:   want{world: Fail, dms: Pass}},

		{name: "a condition value written as a JSON number is read as IAM reads it",
			policy: policy(rootStmt, star("Num", `"kms:Decrypt"`, `{"StringEquals":{"kms:CallerAccount":111122223333}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "Null kms:CallerAccount true can never hold: KMS always sets the key",
			policy: policy(rootStmt, star("Never", `"kms:*"`, `{"Null":{"kms:CallerAccount":"true"}}`)),
			want:   want{world: Pass, dms: Pass, basis: BasisIAM}},
		{name: "a bare account id as principal leaves DMS use to that account's IAM",
			policy: policy(`{"Sid":"Acct","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}`),
			want:   want{world: Pass, dms: Pass, basis: BasisIAM, dmsStmts: []string{`"Acct"`}}},
		{name: "a Deny naming another account's root neither closes the world nor stops DMS here",
			policy: policy(rootStmt, star("Open", `"kms:Decrypt"`, ""), `{"Sid":"NotThem","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:*","Resource":"*"}`),
			want:   want{world: Fail, worldStmts: []string{`"Open"`}, dms: Pass}},
		{name: "a Deny whose Resource may not be this key leaves the exposure UNKNOWN",
			policy: policy(star("Open", `"kms:Decrypt"`, ""), `{"Sid":"Maybe","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}`),
			want:   want{world: Unknown, worldStmts: []string{`"Open"`, `"Maybe"`}, dms: Fail}},

		// --- conditions the analyser does not understand ---
		{name: "an unknown condition key makes the verdict UNKNOWN, naming the statement",
			policy: policy(rootStmt, star("Odd", `"kms:Decrypt"`, `{"StringEquals":{"kms:FancyNewKey":"x"}}`)),
			want:   want{world: Unknown, worldStmts: []string{`"Odd"`}, dms: Pass, reason: `"kms:FancyNewKey" is not one the analyser understands`}},
		{name: "an unknown condition key beside kms:CallerAccount is closed: all conditions must hold",
			policy: policy(rootStmt, star("Odd", `"kms:Decrypt"`, `{"StringEquals":{"kms:FancyNewKey":"x","kms:CallerAccount":"111122223333"}}`)),
			want:   want{world: Pass, dms: Pass}},
		{name: "an operator IAM does not define makes the verdict UNKNOWN",
			policy: policy(rootStmt, star("Op", `"kms:Decrypt"`, `{"StringEqualsAny":{"kms:CallerAccount":"111122223333"}}`)),
			want:   want{world: Unknown, worldStmts: []string{`"Op"`}, dms: Pass}},
		{name: "a numeric operator on an account key is not understood",
			policy: policy(rootStmt, star("Num", `"kms:Decrypt"`, `{"NumericEquals":{"aws:PrincipalAccount":"111122223333"}}`)),
			want:   want{world: Unknown, dms: Pass}},
		{name: "an open statement beside an unknown one is FAIL, not UNKNOWN",
			policy: policy(rootStmt, star("Open", `"kms:Decrypt"`, ""), star("Odd", `"kms:Encrypt"`, `{"StringEquals":{"kms:FancyNewKey":"x"}}`)),
			want:   want{world: Fail, worldStmts: []string{`"Open"`}, dms: Pass}},

		// --- Deny, NotPrincipal, NotAction ---
		{name: "a Deny of everyone outside the organisation removes the exposure",
			policy: policy(rootStmt, star("Open", `"kms:*"`, ""), denyStar("OrgOnly", `"kms:*"`, `{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
			in:     Input{OrgID: org},
			want:   want{world: Pass, dms: Pass, basis: BasisKeyPolicy}},
		{name: "a Deny outside the organisation with the organisation unknown: DMS use depends on it",
			policy: policy(rootStmt, denyStar("OrgOnly", `"kms:*"`, `{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
			want:   want{world: Pass, dms: Unknown, dmsStmts: []string{`"OrgOnly"`}, reason: "a key policy does not show"}},
		{name: "a Deny of other accounts by kms:CallerAccount removes the exposure",
			policy: policy(star("Open", `"kms:*"`, ""), denyStar("Others", `"kms:*"`, `{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}`)),
			want:   want{world: Pass, dms: Pass, basis: BasisKeyPolicy}},
		{name: "a Deny that the caller can avoid (insecure transport only) removes nothing",
			policy: policy(rootStmt, star("Open", `"kms:Decrypt"`, ""), denyStar("TLS", `"kms:*"`, `{"Bool":{"aws:SecureTransport":"false"}}`)),
			want:   want{world: Fail, worldStmts: []string{`"Open"`}, dms: Pass}},
		{name: "a Deny with an unknown condition makes an exposure UNKNOWN, naming the Deny",
			policy: policy(rootStmt, star("Open", `"kms:Decrypt"`, ""), denyStar("Odd", `"kms:*"`, `{"StringNotEquals":{"kms:FancyNewKey":"x"}}`)),
			want:   want{world: Unknown, worldStmts: []string{`"Open"`, `"Odd"`}, dms: Unknown, dmsStmts: []string{`"Odd"`}, reason: `unless statement "Odd" denies it`}},
		{name: "a Deny of kms:Decrypt alone leaves the other actions open",
			policy: policy(rootStmt, star("Open", `"kms:*"`, ""), denyStar("NoDecrypt", `"kms:Decrypt"`, "")),
			want:   want{world: Fail, worldActs: []string{"kms:CreateGrant"}, notActs: []string{"kms:Decrypt"}, dms: Pass}},
		{name: "Allow with NotPrincipal admits everyone not listed",
			policy: policy(rootStmt, `{"Sid":"AllBut","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}`),
			want:   want{world: Fail, worldStmts: []string{`"AllBut"`}, dms: Pass}},
		{name: "Deny with NotPrincipal naming only the account root denies its roles too: DMS cannot use the key",
			policy: policy(star("Open", `"kms:*"`, ""), `{"Sid":"OnlyRoot","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`),
			want:   want{world: Pass, dms: Fail, explicit: true, dmsStmts: []string{`"OnlyRoot"`}}},
		{name: "Deny with NotPrincipal naming a role of the account: which principals escape is IAM's to say",
			policy: policy(rootStmt, `{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/app","arn:aws:iam::111122223333:root"]},"Action":"kms:*","Resource":"*"}`),
			want:   want{world: Pass, dms: Unknown, dmsStmts: []string{`"OnlyApp"`}}},
		{name: "NotAction kms:Decrypt to the world leaves every other sensitive action open",
			policy: policy(rootStmt, `{"Sid":"NA","Effect":"Allow","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}`),
			want:   want{world: Fail, worldActs: []string{"kms:Encrypt", "kms:PutKeyPolicy"}, notActs: []string{"kms:Decrypt"}, dms: Pass}},
		{name: "NotAction excluding every sensitive action leaves only metadata to the world",
			policy: policy(rootStmt, `{"Sid":"NA","Effect":"Allow","Principal":"*","NotAction":["kms:*crypt*","kms:Generate*","kms:Sign","kms:Derive*","kms:CreateGrant","kms:Put*","kms:Schedule*","kms:Disable*","kms:Delete*","kms:Import*","kms:Replicate*","kms:UpdatePrimaryRegion","kms:Revoke*","kms:Retire*"],"Resource":"*"}`),
			want:   want{world: Pass, dms: Pass}},

		// --- resources ---
		{name: "a Resource naming another key does not apply when the key's ARN is known",
			policy: policy(rootStmt, `{"Sid":"Other","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}`),
			in:     Input{KeyARN: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			want:   want{world: Pass, dms: Pass}},
		{name: "a Resource naming another key is assumed to apply when the key's ARN is not known",
			policy: policy(rootStmt, `{"Sid":"Other","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}`),
			want:   want{world: Fail, dms: Pass}},

		// --- cross-account sharing ---
		{name: "sharing with another account by name is not world access",
			policy: policy(rootStmt, `{"Sid":"Share","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["kms:Decrypt","kms:DescribeKey","kms:CreateGrant"],"Resource":"*"}`),
			want:   want{world: Pass, dms: Pass, basis: BasisIAM}},
		{name: "the other account's DMS use of a shared key is for its IAM to allow",
			policy: policy(rootStmt,
				`{"Sid":"Share","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}`,
				`{"Sid":"ShareGrants","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}`),
			in:   Input{DMSAccounts: []string{ext}},
			want: want{world: Pass, dms: Pass, basis: BasisIAM, dmsStmts: []string{`"ShareGrants"`, `"Share"`}, reason: "IAM policies of account 444455556666 must also allow"}},
		{name: "an account the policy does not name cannot use the key through DMS",
			policy: policy(rootStmt),
			in:     Input{DMSAccounts: []string{ext}},
			want:   want{world: Pass, dms: Fail, reason: "no statement allows principals of account 444455556666"}},

		// --- can DMS use it? ---
		{name: "named key users without the account-root statement but without grants: DMS cannot use the key",
			policy: policy(`{"Sid":"Use","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["kms:Decrypt","kms:Encrypt","kms:DescribeKey"],"Resource":"*"}`),
			want:   want{world: Pass, dms: Fail, reason: "kms:CreateGrant"}},
		{name: "a Deny of kms:CreateGrant to everyone stops DMS",
			policy: policy(rootStmt, denyStar("NoGrants", `"kms:CreateGrant"`, "")),
			want:   want{world: Pass, dms: Fail, explicit: true, dmsStmts: []string{`"NoGrants"`}}},
		{name: "a Deny of grants that are not for AWS resources leaves DMS its grants",
			policy: policy(rootStmt, denyStar("NoUserGrants", `"kms:CreateGrant"`, `{"Bool":{"kms:GrantIsForAWSResource":"false"}}`)),
			want:   want{world: Pass, dms: Pass, basis: BasisIAM}},
		{name: "a Deny of grants made through DMS stops DMS",
			policy: policy(rootStmt, denyStar("NoDMS", `["kms:CreateGrant"]`, `{"StringLike":{"kms:ViaService":"dms.*.amazonaws.com"}}`)),
			want:   want{world: Pass, dms: Fail, explicit: true, dmsStmts: []string{`"NoDMS"`}, reason: `statement "NoDMS" denies kms:CreateGrant`}},
		{name: "a Deny of every service but S3 stops DMS",
			policy: policy(rootStmt, denyStar("S3Only", `"kms:*"`, `{"StringNotEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)),
			want:   want{world: Pass, dms: Fail, explicit: true}},
		{name: "a Deny of every service but S3 and DMS leaves DMS",
			policy: policy(rootStmt, denyStar("S3DMS", `"kms:*"`, `{"StringNotEquals":{"kms:ViaService":["s3.us-east-1.amazonaws.com","dms.us-east-1.amazonaws.com"]}}`)),
			want:   want{world: Pass, dms: Pass, basis: BasisIAM}},
		{name: "grants allowed only through DMS in another region do not help DMS here",
			policy: policy(`{"Sid":"Grants","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["kms:CreateGrant","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"dms.eu-west-1.amazonaws.com"}}}`),
			want:   want{world: Pass, dms: Fail}},
		{name: "key users limited by a principal tag: whether DMS callers carry it is IAM's to say",
			policy: policy(`{"Sid":"Tagged","Effect":"Allow","Principal":"*","Action":["kms:CreateGrant","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data","kms:CallerAccount":"111122223333"}}}`),
			want:   want{world: Pass, dms: Unknown, dmsStmts: []string{`"Tagged"`}, reason: "which principal creates the DMS resource"}},
		{name: "a grant statement with kms:GrantIsForAWSResource true admits DMS, a DescribeKey statement without it too",
			policy: policy(`{"Sid":"Describe","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:DescribeKey","Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}`,
				`{"Sid":"Grants","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:CreateGrant","Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}`),
			want: want{world: Pass, dms: Fail, reason: "kms:DescribeKey"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Policy = tt.policy
			if in.KeyAccount == "" {
				in.KeyAccount = acct
			}
			if in.Region == "" {
				in.Region = region
			}
			a, err := Analyse(in)
			if err != nil {
				t.Fatalf("Analyse: %v", err)
			}
			checkResult(t, a, tt.want)
		})
	}
	if len(tests) < 40 {
		t.Errorf("only %d policy shapes; the table must keep at least 40", len(tests))
	}
}

func checkResult(t *testing.T, a *Analysis, w want) {
	t.Helper()
	wr := a.World
	if wr.Verdict != w.world {
		t.Errorf("world access = %s (%s), want %s", wr.Verdict, wr.Reason, w.world)
	}
	if w.worldStmts != nil && !slices.Equal(wr.Statements, w.worldStmts) {
		t.Errorf("world access statements = %q, want %q", wr.Statements, w.worldStmts)
	}
	for _, act := range w.worldActs {
		if !slices.Contains(wr.Actions, act) {
			t.Errorf("world access actions %q lack %s", wr.Actions, act)
		}
	}
	for _, act := range w.notActs {
		if slices.Contains(wr.Actions, act) {
			t.Errorf("world access actions %q include %s", wr.Actions, act)
		}
	}
	if wr.Verdict != Pass && len(wr.Statements) == 0 {
		t.Errorf("world access %s names no statement", wr.Verdict)
	}
	if len(a.DMS) != 1 {
		t.Fatalf("%d DMS results, want 1", len(a.DMS))
	}
	d := a.DMS[0]
	if d.Verdict != w.dms {
		t.Errorf("DMS access = %s (%s), want %s", d.Verdict, d.Reason, w.dms)
	}
	if w.basis != "" && d.Basis != w.basis {
		t.Errorf("DMS basis = %q, want %q (%s)", d.Basis, w.basis, d.Reason)
	}
	if d.ExplicitDeny != w.explicit {
		t.Errorf("DMS explicit deny = %v, want %v (%s)", d.ExplicitDeny, w.explicit, d.Reason)
	}
	if w.dmsStmts != nil && !slices.Equal(d.Statements, w.dmsStmts) {
		t.Errorf("DMS statements = %q, want %q", d.Statements, w.dmsStmts)
	}
	if d.Verdict == Unknown && len(d.Statements) == 0 {
		t.Errorf("DMS UNKNOWN names no statement")
	}
	if w.reason != "" && !strings.Contains(wr.Reason+" | "+d.Reason, w.reason) {
		t.Errorf("reasons %q | %q lack %q", wr.Reason, d.Reason, w.reason)
	}
	for _, r := range []Result{wr, d} {
		if r.Reason == "" {
			t.Errorf("%s: empty reason", r.Check)
		}
	}
}

func TestGeneratedPoliciesPass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  keypolicy.Options
		basis Basis
	}{
		{"root statement only", keypolicy.Options{Account: acct, Region: region}, BasisIAM},
		{"admins and users", keypolicy.Options{Account: acct, Region: region,
			Admins: []string{"arn:aws:iam::111122223333:role/KeyAdmin"}, Users: []string{"arn:aws:iam::111122223333:role/dms-vpc-role"}}, BasisKeyPolicy},
		{"users and an external account", keypolicy.Options{Account: acct, Region: "eu-west-1",
			Users: []string{"arn:aws:iam::111122223333:user/migrator"}, ExternalAccounts: []string{ext}}, BasisKeyPolicy},
		{"china partition", keypolicy.Options{Account: acct, Region: "cn-north-1", Users: []string{"arn:aws-cn:iam::111122223333:role/dms"}}, BasisKeyPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := Analyse(Input{Policy: generated(t, tt.opts), KeyAccount: acct, Region: tt.opts.Region})
			if err != nil {
				t.Fatal(err)
			}
			if a.World.Verdict != Pass || a.DMS[0].Verdict != Pass || a.DMS[0].Basis != tt.basis {
				t.Errorf("world %s (%s); DMS %s %s (%s); want PASS, PASS %s", a.World.Verdict, a.World.Reason, a.DMS[0].Verdict, a.DMS[0].Basis, a.DMS[0].Reason, tt.basis)
			}
		})
	}
	t.Run("the external account of a generated policy may use the key through DMS, its IAM permitting", func(t *testing.T) {
		t.Parallel()
		p := generated(t, keypolicy.Options{Account: acct, Region: region, ExternalAccounts: []string{ext}})
		a, err := Analyse(Input{Policy: p, KeyAccount: acct, Region: region, DMSAccounts: []string{acct, ext}})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.DMS) != 2 || a.DMS[1].Account != ext || a.DMS[1].Verdict != Pass || a.DMS[1].Basis != BasisIAM {
			t.Errorf("DMS results %+v, want the external account PASS through IAM", a.DMS)
		}
		if !slices.Equal(a.ExternalPrincipals, []string{"arn:aws:iam::444455556666:root"}) {
			t.Errorf("external principals = %q", a.ExternalPrincipals)
		}
	})
}

func TestAnalyseRejectsWhatIsNotAPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, policy, account, region, wantErr string
	}{
		{"not JSON", `{"Statement": [`, acct, region, "not a JSON policy document"},
		{"empty", "  ", acct, region, "empty"},
		{"no Statement", `{"Version":"2012-10-17"}`, acct, region, "no Statement"},
		{"empty Statement list", `{"Statement":[]}`, acct, region, "empty Statement"},
		{"Effect neither Allow nor Deny", policy(`{"Sid":"x","Effect":"Maybe","Principal":"*","Action":"kms:*"}`), acct, region, `statement "x": Effect "Maybe"`},
		{"no principal", policy(`{"Effect":"Allow","Action":"kms:*"}`), acct, region, "statement #1: names no Principal"},
		{"bare string principal", policy(`{"Effect":"Allow","Principal":"bob","Action":"kms:*"}`), acct, region, `principal "bob"`},
		{"both Action and NotAction", policy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:Decrypt"}`), acct, region, "both Action and NotAction"},
		{"no action", policy(`{"Effect":"Allow","Principal":"*"}`), acct, region, "names no Action"},
		{"condition value an object", policy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"kms:CallerAccount":{"a":1}}}}`), acct, region, "Condition"},
		{"trailing data", policy(rootStmt) + `{}`, acct, region, "data after"},
		{"account not 12 digits", policy(rootStmt), "1234", region, "12-digit"},
		{"region not a region", policy(rootStmt), acct, "mars-1", "not an AWS region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Analyse(Input{Policy: tt.policy, KeyAccount: tt.account, Region: tt.region})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		fold, want bool
	}{
		{"kms:*", "kms:Decrypt", false, true},
		{"kms:Re*", "kms:ReEncryptFrom", false, true},
		{"kms:Re*", "kms:Decrypt", false, false},
		{"kms:Generate?ataKey", "kms:GenerateDataKey", false, true},
		{"KMS:decrypt", "kms:Decrypt", true, true},
		{"KMS:decrypt", "kms:Decrypt", false, false},
		{"*a*b*c*", "xxaxxbxxc", false, true},
		{"*a*b*c", "abcab", false, false},
		{"", "", false, true},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s, tt.fold); got != tt.want {
			t.Errorf("glob(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}
