package awsemu_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

// errorCode returns the API error code of err, or "" when it is not an API error.
func errorCode(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not an API error", err)
	}
	return apiErr.ErrorCode()
}

func mustCreateKey(t *testing.T, c *kms.Client, in *kms.CreateKeyInput) *kmstypes.KeyMetadata {
	t.Helper()
	out, err := c.CreateKey(ctx, in)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}

func TestCreateKeyReportsEveryOriginAsAsked(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.kms()
	tests := []struct {
		name      string
		in        kms.CreateKeyInput
		wantState kmstypes.KeyState
		wantStore bool
	}{
		{"an AWS_KMS key is enabled at once", kms.CreateKeyInput{Description: aws.String("orders")}, kmstypes.KeyStateEnabled, false},
		{"an EXTERNAL key waits for its key material", kms.CreateKeyInput{Origin: kmstypes.OriginTypeExternal}, kmstypes.KeyStatePendingImport, false},
		{"a CloudHSM key names its key store", kms.CreateKeyInput{Origin: kmstypes.OriginTypeAwsCloudhsm, CustomKeyStoreId: aws.String("cks-1234567890abcdef0")}, kmstypes.KeyStateEnabled, true},
		{"an external key store key names its key store", kms.CreateKeyInput{Origin: kmstypes.OriginTypeExternalKeyStore, CustomKeyStoreId: aws.String("cks-abcdef01234567890"), XksKeyId: aws.String("xks-1")}, kmstypes.KeyStateEnabled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustCreateKey(t, c, &tt.in)
			origin := tt.in.Origin
			if origin == "" {
				origin = kmstypes.OriginTypeAwsKms
			}
			got := []string{string(m.KeyManager), string(m.KeyState), string(m.Origin), *m.AWSAccountId}
			want := []string{"CUSTOMER", string(tt.wantState), string(origin), awsemu.DefaultAccount}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(*m.Arn, "arn:aws:kms:us-east-1:111122223333:key/") || !strings.HasSuffix(*m.Arn, *m.KeyId) {
				t.Errorf("Arn = %s, key id %s", *m.Arn, *m.KeyId)
			}
			if hasStore := m.CustomKeyStoreId != nil; hasStore != tt.wantStore {
				t.Errorf("CustomKeyStoreId present = %v, want %v", hasStore, tt.wantStore)
			}
		})
	}
}

func TestCreateKeyRefusesBadInput(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	tests := []struct {
		name string
		in   kms.CreateKeyInput
		want string
	}{
		{"a CloudHSM key without a key store", kms.CreateKeyInput{Origin: kmstypes.OriginTypeAwsCloudhsm}, "CustomKeyStoreNotFoundException"},
		{"an unknown origin", kms.CreateKeyInput{Origin: "NOWHERE"}, "ValidationException"},
		{"a policy that is not JSON", kms.CreateKeyInput{Policy: aws.String("{not json")}, "MalformedPolicyDocumentException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateKey(ctx, &tt.in)
			if got := errorCode(t, err); got != tt.want {
				t.Errorf("error code = %q, want %q (err %v)", got, tt.want, err)
			}
		})
	}
}

func TestDescribeKeyFindsAKeyByEveryKindOfReference(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.kms()
	m := mustCreateKey(t, c, &kms.CreateKeyInput{})
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/orders"), TargetKeyId: m.KeyId}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{*m.KeyId, *m.Arn, "alias/orders", "arn:aws:kms:us-east-1:111122223333:alias/orders"} {
		t.Run(ref, func(t *testing.T) {
			out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
			if err != nil {
				t.Fatal(err)
			}
			if *out.KeyMetadata.Arn != *m.Arn {
				t.Errorf("Arn = %s, want %s", *out.KeyMetadata.Arn, *m.Arn)
			}
		})
	}
	t.Run("a missing key is NotFoundException", func(t *testing.T) {
		_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("00000000-0000-4000-8000-000000000000")})
		var nf *kmstypes.NotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("err = %v, want NotFoundException", err)
		}
	})
	t.Run("a key ARN of another region is NotFoundException", func(t *testing.T) {
		_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(strings.Replace(*m.Arn, "us-east-1", "eu-west-1", 1))})
		if got := errorCode(t, err); got != "NotFoundException" {
			t.Errorf("code = %q, want NotFoundException", got)
		}
	})
}

func TestDescribeKeyOnAliasAwsDMSCreatesTheAWSManagedKeyOnce(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.kms()
	keys, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 0 {
		t.Fatalf("a new emulator has %d keys", len(keys.Keys))
	}
	first, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dms")})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dms")})
	if err != nil {
		t.Fatal(err)
	}
	if *first.KeyMetadata.Arn != *second.KeyMetadata.Arn {
		t.Errorf("two aws/dms keys: %s and %s", *first.KeyMetadata.Arn, *second.KeyMetadata.Arn)
	}
	if first.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeAws {
		t.Errorf("KeyManager = %s, want AWS", first.KeyMetadata.KeyManager)
	}
	if !strings.Contains(*first.KeyMetadata.Description, "DMS") {
		t.Errorf("Description = %q, want the default DMS key description", *first.KeyMetadata.Description)
	}
	policy, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: first.KeyMetadata.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kms:ViaService":"dms.us-east-1.amazonaws.com"`, `"kms:CallerAccount":"111122223333"`} {
		if !strings.Contains(*policy.Policy, want) {
			t.Errorf("aws/dms policy lacks %s", want)
		}
	}
}

func TestAWSManagedKeysCannotBeChangedByTheCustomer(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.kms()
	out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dms")})
	if err != nil {
		t.Fatal(err)
	}
	id := out.KeyMetadata.KeyId
	calls := map[string]func() error{
		"DisableKey": func() error { _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}); return err },
		"ScheduleKeyDeletion": func() error {
			_, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id})
			return err
		},
		"PutKeyPolicy": func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(awsemu.DefaultKeyPolicy("111122223333"))})
			return err
		},
		"CreateAlias on alias/aws/": func() error {
			_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/mine"), TargetKeyId: id})
			return err
		},
		"DeleteAlias of alias/aws/dms": func() error {
			_, err := c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/aws/dms")})
			return err
		},
	}
	want := map[string]string{"DisableKey": "AccessDeniedException", "ScheduleKeyDeletion": "AccessDeniedException", "PutKeyPolicy": "AccessDeniedException", "CreateAlias on alias/aws/": "InvalidAliasNameException", "DeleteAlias of alias/aws/dms": "AccessDeniedException"}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if got := errorCode(t, call()); got != want[name] {
				t.Errorf("code = %q, want %q", got, want[name])
			}
		})
	}
	after, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	if after.KeyMetadata.KeyState != kmstypes.KeyStateEnabled {
		t.Errorf("aws/dms key state = %s after refused calls", after.KeyMetadata.KeyState)
	}
}

func TestKeyLifecycleFollowsKMSStateRules(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	m := mustCreateKey(t, c, &kms.CreateKeyInput{})
	id := m.KeyId
	state := func() kmstypes.KeyState {
		t.Helper()
		out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
		if err != nil {
			t.Fatal(err)
		}
		return out.KeyMetadata.KeyState
	}
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	rot, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})
	if err != nil || !rot.KeyRotationEnabled {
		t.Fatalf("rotation after EnableKeyRotation = %v, %v", rot, err)
	}
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != kmstypes.KeyStateDisabled {
		t.Errorf("after DisableKey state = %s", got)
	}
	_, err = c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id})
	if got := errorCode(t, err); got != "DisabledException" {
		t.Errorf("EnableKeyRotation on a disabled key: code %q, want DisabledException", got)
	}
	if _, err := c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(3)})
	if got := errorCode(t, err); got != "ValidationException" {
		t.Errorf("a 3-day window: code %q, want ValidationException", got)
	}
	sched, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if sched.KeyState != kmstypes.KeyStatePendingDeletion || sched.DeletionDate == nil || *sched.PendingWindowInDays != 7 {
		t.Errorf("ScheduleKeyDeletion = %+v", sched)
	}
	_, err = c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id})
	if got := errorCode(t, err); got != "KMSInvalidStateException" {
		t.Errorf("EnableKey while pending deletion: code %q, want KMSInvalidStateException", got)
	}
	if _, err := c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != kmstypes.KeyStateDisabled {
		t.Errorf("after CancelKeyDeletion state = %s, want Disabled", got)
	}
	_, err = c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: id})
	if got := errorCode(t, err); got != "KMSInvalidStateException" {
		t.Errorf("CancelKeyDeletion twice: code %q", got)
	}
}

func TestRotationIsUnsupportedForImportedKeyMaterial(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	m := mustCreateKey(t, c, &kms.CreateKeyInput{Origin: kmstypes.OriginTypeExternal})
	_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: m.KeyId})
	if got := errorCode(t, err); got != "UnsupportedOperationException" {
		t.Errorf("code = %q, want UnsupportedOperationException", got)
	}
}

func TestKeyPolicyAndTagsRoundTrip(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	m := mustCreateKey(t, c, &kms.CreateKeyInput{Tags: []kmstypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String("payments")}}})
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	if _, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: m.KeyId, Policy: aws.String(policy), PolicyName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: m.KeyId, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Policy != policy {
		t.Errorf("policy = %s, want %s", *got.Policy, policy)
	}
	_, err = c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: m.KeyId, Policy: aws.String("nope")})
	if code := errorCode(t, err); code != "MalformedPolicyDocumentException" {
		t.Errorf("bad policy: code %q", code)
	}
	if _, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: m.KeyId, Tags: []kmstypes.Tag{{TagKey: aws.String("env"), TagValue: aws.String("prod")}, {TagKey: aws.String("team"), TagValue: aws.String("orders")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: m.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, tg := range tags.Tags {
		pairs = append(pairs, *tg.TagKey+"="+*tg.TagValue)
	}
	if diff := cmp.Diff([]string{"team=orders", "env=prod"}, pairs); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestListKeysAndListAliasesPageWithTheSDKPaginators(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	var wantAliases []string
	for i := range 7 {
		m := mustCreateKey(t, c, &kms.CreateKeyInput{})
		name := "alias/app-" + string(rune('a'+i))
		wantAliases = append(wantAliases, name)
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: m.Arn}); err != nil {
			t.Fatal(err)
		}
	}
	var keys, pages int
	for p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{Limit: aws.Int32(3)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys += len(out.Keys)
		pages++
	}
	if keys != 7 || pages != 3 {
		t.Errorf("ListKeys: %d keys in %d pages, want 7 in 3", keys, pages)
	}
	var aliases []string
	pages = 0
	for p := kms.NewListAliasesPaginator(c, &kms.ListAliasesInput{Limit: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Aliases {
			aliases = append(aliases, *a.AliasName)
		}
		pages++
	}
	// The 7 aliases, then the 6 predefined alias/aws/… ones: 13 in 7 pages.
	wantAliases = append(wantAliases, "alias/aws/dms", "alias/aws/ebs", "alias/aws/rds", "alias/aws/redshift", "alias/aws/s3", "alias/aws/secretsmanager")
	if diff := cmp.Diff(wantAliases, aliases); diff != "" || pages != 7 {
		t.Errorf("ListAliases in %d pages (-want +got):\n%s", pages, diff)
	}
	_, err := c.ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(0)})
	if code := errorCode(t, err); code != "ValidationException" {
		t.Errorf("Limit 0: code %q", code)
	}
}

func TestAliasesAreValidatedAndUnique(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	m := mustCreateKey(t, c, &kms.CreateKeyInput{})
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/orders"), TargetKeyId: m.KeyId}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, alias, target, want string
	}{
		{"a duplicate", "alias/orders", *m.KeyId, "AlreadyExistsException"},
		{"a name without alias/", "orders2", *m.KeyId, "ValidationException"},
		{"a missing target key", "alias/ghost", "00000000-0000-4000-8000-000000000000", "NotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(tt.alias), TargetKeyId: aws.String(tt.target)})
			if got := errorCode(t, err); got != tt.want {
				t.Errorf("code = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/orders")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/orders")})
	if got := errorCode(t, err); got != "NotFoundException" {
		t.Errorf("deleting twice: code %q", got)
	}
}

func TestCrossAccountDescribeKeyNeedsTheFullARNAndThePolicy(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	estate := &awsemu.Estate{
		Accounts: []awsemu.EstateAccount{{ID: "111122223333"}, {ID: "444455556666"}},
		Keys: []awsemu.EstateKey{
			{ID: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", Account: "444455556666", Aliases: []string{"alias/shared"},
				Policy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:DescribeKey","kms:Decrypt"],"Resource":"*"}]}`},
			{ID: "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9", Account: "444455556666"},
		},
	}
	if err := e.srv.LoadEstate(estate); err != nil {
		t.Fatal(err)
	}
	c := e.kms()
	tests := []struct {
		name, ref, want string
	}{
		{"the key ARN of a key whose policy lets the account in", "arn:aws:kms:us-east-1:444455556666:key/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", ""},
		{"the bare key id looks in the caller's own account", "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "NotFoundException"},
		{"the key ARN of a key whose policy does not", "arn:aws:kms:us-east-1:444455556666:key/1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9", "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(tt.ref)})
			if got := errorCode(t, err); got != tt.want {
				t.Errorf("code = %q, want %q (err %v)", got, tt.want, err)
			}
		})
	}
}

func TestKeyPolicyDenyAndDenyRulesGiveAccessDenied(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.kms()
	hidden := mustCreateKey(t, c, &kms.CreateKeyInput{Policy: aws.String(`{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:DescribeKey","Resource":"*"}]}`)})
	plain := mustCreateKey(t, c, &kms.CreateKeyInput{})
	e.srv.AddDeny(awsemu.DenyRule{Action: "kms:DescribeKey", Resource: *plain.Arn})
	for _, id := range []*string{hidden.Arn, plain.Arn} {
		_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
		if got := errorCode(t, err); got != "AccessDeniedException" {
			t.Errorf("DescribeKey %s: code %q, want AccessDeniedException", *id, got)
		}
	}
	if _, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: plain.Arn}); err != nil {
		t.Errorf("a deny rule on DescribeKey must not deny GetKeyPolicy: %v", err)
	}
	if _, err := c.ListAliases(ctx, &kms.ListAliasesInput{}); err != nil {
		t.Errorf("ListAliases: %v", err)
	}
}

func TestAKeyHiddenFromListKeysIsStillFoundByDescribeKeyAndListAliases(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	const id = "0d5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
	if err := e.srv.LoadEstate(&awsemu.Estate{Keys: []awsemu.EstateKey{{ID: id, Manager: "AWS", Aliases: []string{"alias/aws/dms"}, HiddenFromListKeys: true}}}); err != nil {
		t.Fatal(err)
	}
	c := e.kms()
	keys, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 0 {
		t.Errorf("ListKeys lists %d keys, want none", len(keys.Keys))
	}
	aliases, err := c.ListAliases(ctx, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{}
	for _, a := range aliases.Aliases {
		targets[*a.AliasName] = aws.ToString(a.TargetKeyId)
	}
	if targets["alias/aws/dms"] != id {
		t.Errorf("ListAliases = %v, want alias/aws/dms → %s", targets, id)
	}
	if _, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Errorf("DescribeKey: %v", err)
	}
}

func TestDescribeKeyThatCreatesTheAWSManagedKeyIsLoggedAsMutating(t *testing.T) {
	e := startEmu(t, awsemu.Options{})
	c := e.kms()
	for range 2 {
		if _, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dms")}); err != nil {
			t.Fatal(err)
		}
	}
	var got []bool
	for _, r := range e.srv.Requests() {
		got = append(got, r.Mutating)
	}
	if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
		t.Errorf("Mutating of the first (creating) and second DescribeKey (-want +got):\n%s", diff)
	}
}
