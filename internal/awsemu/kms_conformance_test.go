package awsemu_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cmkguard/cmkguard/internal/awsemu"
)

func TestCreateKeyReportsTheAlgorithmsOfItsSpecAndUsage(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	type algs struct{ Encryption, Signing, Agreement, MAC []string }
	tests := []struct {
		spec  kmstypes.KeySpec
		usage kmstypes.KeyUsageType
		want  algs
	}{
		{"", "", algs{Encryption: []string{"SYMMETRIC_DEFAULT"}}},
		{kmstypes.KeySpecRsa2048, kmstypes.KeyUsageTypeEncryptDecrypt, algs{Encryption: []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}}},
		{kmstypes.KeySpecRsa4096, kmstypes.KeyUsageTypeSignVerify, algs{Signing: []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}}},
		{kmstypes.KeySpecEccNistP384, kmstypes.KeyUsageTypeSignVerify, algs{Signing: []string{"ECDSA_SHA_384"}}},
		{kmstypes.KeySpecEccNistP256, kmstypes.KeyUsageTypeKeyAgreement, algs{Agreement: []string{"ECDH"}}},
		{kmstypes.KeySpecHmac512, kmstypes.KeyUsageTypeGenerateVerifyMac, algs{MAC: []string{"HMAC_SHA_512"}}},
		{kmstypes.KeySpecMlDsa65, kmstypes.KeyUsageTypeSignVerify, algs{Signing: []string{"ML_DSA_SHAKE_256"}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.spec, tt.usage), func(t *testing.T) {
			m := mustCreateKey(t, c, &kms.CreateKeyInput{KeySpec: tt.spec, KeyUsage: tt.usage})
			got := algs{}
			for _, a := range m.EncryptionAlgorithms {
				got.Encryption = append(got.Encryption, string(a))
			}
			for _, a := range m.SigningAlgorithms {
				got.Signing = append(got.Signing, string(a))
			}
			for _, a := range m.KeyAgreementAlgorithms {
				got.Agreement = append(got.Agreement, string(a))
			}
			for _, a := range m.MacAlgorithms {
				got.MAC = append(got.MAC, string(a))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("algorithms (-want +got):\n%s", diff)
			}
			again, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: m.KeyId})
			if err != nil {
				t.Fatal(err)
			}
			if again.KeyMetadata.KeySpec != m.KeySpec || again.KeyMetadata.KeyUsage != m.KeyUsage || len(again.KeyMetadata.EncryptionAlgorithms) != len(tt.want.Encryption) {
				t.Errorf("DescribeKey disagrees with CreateKey: %+v", again.KeyMetadata)
			}
		})
	}
}

func TestCreateKeyRefusesBadSpecsUsagesAndTags(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	tests := []struct {
		name string
		in   kms.CreateKeyInput
		want string
	}{
		{"an unknown key usage", kms.CreateKeyInput{KeyUsage: "ENCRYPT_EVERYTHING"}, "ValidationException"},
		{"an unknown key spec", kms.CreateKeyInput{KeySpec: "RSA_1024"}, "ValidationException"},
		{"a symmetric key that signs", kms.CreateKeyInput{KeyUsage: kmstypes.KeyUsageTypeSignVerify}, "ValidationException"},
		{"an HMAC key that encrypts (the default usage)", kms.CreateKeyInput{KeySpec: kmstypes.KeySpecHmac256}, "ValidationException"},
		{"an elliptic-curve key that encrypts", kms.CreateKeyInput{KeySpec: kmstypes.KeySpecEccNistP256, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt}, "ValidationException"},
		{"secp256k1 for key agreement", kms.CreateKeyInput{KeySpec: kmstypes.KeySpecEccSecgP256k1, KeyUsage: kmstypes.KeyUsageTypeKeyAgreement}, "ValidationException"},
		{"SM2 outside the China regions", kms.CreateKeyInput{KeySpec: kmstypes.KeySpecSm2, KeyUsage: kmstypes.KeyUsageTypeSignVerify}, "UnsupportedOperationException"},
		{"an asymmetric key in a custom key store", kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify,
			Origin: kmstypes.OriginTypeAwsCloudhsm, CustomKeyStoreId: aws.String("cks-1234567890abcdef0")}, "UnsupportedOperationException"},
		{"a tag key under aws:", kms.CreateKeyInput{Tags: []kmstypes.Tag{{TagKey: aws.String("aws:team"), TagValue: aws.String("x")}}}, "TagException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateKey(ctx, &tt.in)
			if got := errorCode(t, err); got != tt.want {
				t.Errorf("code %q (%v), want %s", got, err, tt.want)
			}
		})
	}
	keys, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil || len(keys.Keys) != 0 {
		t.Errorf("refused CreateKey calls made %d keys (%v)", len(keys.Keys), err)
	}
}

func TestListAliasesPagesBy50AndListsThePredefinedAliases(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	aliases, err := c.ListAliases(ctx, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range aliases.Aliases {
		names = append(names, *a.AliasName)
		if a.TargetKeyId != nil || a.AliasArn == nil {
			t.Errorf("predefined alias %s: TargetKeyId %v, AliasArn %v; want no target and an ARN", *a.AliasName, a.TargetKeyId, a.AliasArn)
		}
	}
	if !slices.Contains(names, "alias/aws/dms") || !slices.Contains(names, "alias/aws/s3") {
		t.Errorf("a new account lists %v, want the predefined alias/aws/dms and alias/aws/s3", names)
	}
	key := mustCreateKey(t, c, &kms.CreateKeyInput{})
	for i := range 60 {
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(fmt.Sprintf("alias/app-%02d", i)), TargetKeyId: key.KeyId}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.ListAliases(ctx, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Aliases) != 50 || !page.Truncated || page.NextMarker == nil {
		t.Errorf("first page without a Limit: %d aliases, truncated %v; want 50 and more", len(page.Aliases), page.Truncated)
	}
	byKey, err := c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: key.KeyId, Limit: aws.Int32(100)})
	if err != nil || len(byKey.Aliases) != 60 {
		t.Errorf("ListAliases for the key: %d (%v), want its 60 without the predefined ones", len(byKey.Aliases), err)
	}
}

func TestListKeysRefusesABadMarkerWithInvalidMarkerException(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	_, err := c.ListKeys(ctx, &kms.ListKeysInput{Marker: aws.String("not-a-marker")})
	if got := errorCode(t, err); got != "InvalidMarkerException" {
		t.Errorf("code %q, want InvalidMarkerException", got)
	}
}

func TestAScheduledKeyShowsItsDeletionDateNotAReplicaWindow(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	m := mustCreateKey(t, c, &kms.CreateKeyInput{})
	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: m.KeyId, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: m.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyMetadata.DeletionDate == nil {
		t.Error("no DeletionDate on a key pending deletion")
	}
	if d.KeyMetadata.PendingDeletionWindowInDays != nil {
		t.Errorf("PendingDeletionWindowInDays = %d; the model has it only for PendingReplicaDeletion", *d.KeyMetadata.PendingDeletionWindowInDays)
	}
}

func TestGetKeyRotationStatusReportsThePeriodAndTheNextDate(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	e := startEmu(t, awsemu.Options{Now: func() time.Time { return clock }})
	c := e.kms()
	m := mustCreateKey(t, c, &kms.CreateKeyInput{})
	status := func() *kms.GetKeyRotationStatusOutput {
		t.Helper()
		out, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: m.KeyId})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if s := status(); s.KeyRotationEnabled || s.RotationPeriodInDays != nil || s.NextRotationDate != nil {
		t.Errorf("rotation off: %+v", s)
	}
	for _, p := range []int32{89, 2561} {
		_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: m.KeyId, RotationPeriodInDays: aws.Int32(p)})
		if got := errorCode(t, err); got != "ValidationException" {
			t.Errorf("period %d: code %q, want ValidationException", p, got)
		}
	}
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: m.KeyId, RotationPeriodInDays: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	s := status()
	if !s.KeyRotationEnabled || aws.ToInt32(s.RotationPeriodInDays) != 90 || s.NextRotationDate == nil || !s.NextRotationDate.Equal(now.AddDate(0, 0, 90)) {
		t.Errorf("rotation every 90 days from %s: %+v (next %v)", now, s, s.NextRotationDate)
	}
	clock = now.AddDate(0, 0, 100)
	if s := status(); s.NextRotationDate == nil || !s.NextRotationDate.Equal(now.AddDate(0, 0, 180)) {
		t.Errorf("100 days later the next rotation is %v, want %s", s.NextRotationDate, now.AddDate(0, 0, 180))
	}
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: m.KeyId}); err != nil {
		t.Fatal(err)
	}
	if s := status(); aws.ToInt32(s.RotationPeriodInDays) != 365 {
		t.Errorf("enabled without a period: %d days, want the default 365", aws.ToInt32(s.RotationPeriodInDays))
	}
	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: m.KeyId, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if s := status(); s.KeyRotationEnabled {
		t.Error("a key pending deletion reports rotation enabled")
	}
	rsa := mustCreateKey(t, c, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: rsa.KeyId})
	if got := errorCode(t, err); got != "UnsupportedOperationException" {
		t.Errorf("rotation of an asymmetric key: %q, want UnsupportedOperationException", got)
	}
	managed, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dms")})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: managed.KeyMetadata.KeyId})
	if err != nil || !ms.KeyRotationEnabled || aws.ToInt32(ms.RotationPeriodInDays) != 365 {
		t.Errorf("an AWS-managed key: %+v (%v), want rotation every 365 days", ms, err)
	}
}

func TestListResourceTagsPagesAndCreateKeyChecksLengths(t *testing.T) {
	c := startEmu(t, awsemu.Options{}).kms()
	var tags []kmstypes.Tag
	for i := range 5 {
		tags = append(tags, kmstypes.Tag{TagKey: aws.String(fmt.Sprintf("k%d", i)), TagValue: aws.String("v")})
	}
	m := mustCreateKey(t, c, &kms.CreateKeyInput{Tags: tags})
	var got []string
	pages := 0
	for p := kms.NewListResourceTagsPaginator(c, &kms.ListResourceTagsInput{KeyId: m.KeyId, Limit: aws.Int32(2)}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range out.Tags {
			got = append(got, *tg.TagKey)
		}
	}
	if diff := cmp.Diff([]string{"k0", "k1", "k2", "k3", "k4"}, got); diff != "" || pages != 3 {
		t.Errorf("ListResourceTags by 2 in %d pages (-want +got):\n%s", pages, diff)
	}
	_, err := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: m.KeyId, Limit: aws.Int32(1001)})
	if got := errorCode(t, err); got != "ValidationException" {
		t.Errorf("Limit 1001: %q, want ValidationException", got)
	}
	_, err = c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: m.KeyId, Marker: aws.String("garbage")})
	if got := errorCode(t, err); got != "InvalidMarkerException" {
		t.Errorf("a bad marker: %q, want InvalidMarkerException", got)
	}
	_, err = c.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String("")})
	if got := errorCode(t, err); got != "ValidationException" {
		t.Errorf("an empty Policy: %q, want ValidationException", got)
	}
}
