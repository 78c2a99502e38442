package awsemu

import (
	"slices"
	"strings"
	"time"
)

// keyUsages lists, for each KeySpec, the KeyUsage values KMS accepts with
// it, and for each the algorithms DescribeKey reports (the KMS developer
// guide's key spec reference). SM2 exists in the China regions only.
var keyUsages = map[string]map[string]keyAlgorithms{
	"SYMMETRIC_DEFAULT":     {"ENCRYPT_DECRYPT": {encryption: []string{"SYMMETRIC_DEFAULT"}}},
	"RSA_2048":              rsaUsages,
	"RSA_3072":              rsaUsages,
	"RSA_4096":              rsaUsages,
	"ECC_NIST_P256":         {"SIGN_VERIFY": {signing: []string{"ECDSA_SHA_256"}}, "KEY_AGREEMENT": {agreement: []string{"ECDH"}}},
	"ECC_NIST_P384":         {"SIGN_VERIFY": {signing: []string{"ECDSA_SHA_384"}}, "KEY_AGREEMENT": {agreement: []string{"ECDH"}}},
	"ECC_NIST_P521":         {"SIGN_VERIFY": {signing: []string{"ECDSA_SHA_512"}}, "KEY_AGREEMENT": {agreement: []string{"ECDH"}}},
	"ECC_SECG_P256K1":       {"SIGN_VERIFY": {signing: []string{"ECDSA_SHA_256"}}},
	"ECC_NIST_EDWARDS25519": {"SIGN_VERIFY": {signing: []string{"ED25519_SHA_512", "ED25519_PH_SHA_512"}}},
	"ML_DSA_44":             {"SIGN_VERIFY": {signing: []string{"ML_DSA_SHAKE_256"}}},
	"ML_DSA_65":             {"SIGN_VERIFY": {signing: []string{"ML_DSA_SHAKE_256"}}},
	"ML_DSA_87":             {"SIGN_VERIFY": {signing: []string{"ML_DSA_SHAKE_256"}}},
	"HMAC_224":              {"GENERATE_VERIFY_MAC": {mac: []string{"HMAC_SHA_224"}}},
	"HMAC_256":              {"GENERATE_VERIFY_MAC": {mac: []string{"HMAC_SHA_256"}}},
	"HMAC_384":              {"GENERATE_VERIFY_MAC": {mac: []string{"HMAC_SHA_384"}}},
	"HMAC_512":              {"GENERATE_VERIFY_MAC": {mac: []string{"HMAC_SHA_512"}}},
	"SM2": {"ENCRYPT_DECRYPT": {encryption: []string{"SM2PKE"}}, "SIGN_VERIFY": {signing: []string{"SM2DSA"}},
		"KEY_AGREEMENT": {agreement: []string{"ECDH"}}},
}

var rsaUsages = map[string]keyAlgorithms{
	"ENCRYPT_DECRYPT": {encryption: []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}},
	"SIGN_VERIFY": {signing: []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
		"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}},
}

// keyAlgorithms are the algorithms of a key spec used one way.
type keyAlgorithms struct {
	encryption, signing, agreement, mac []string
}

// The enums as KMS's validation messages print them.
var (
	keyUsageEnum = []string{"SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"}
	keySpecEnum  = []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
		"SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519"}
)

func enumText(values []string) string { return "[" + strings.Join(values, ", ") + "]" }

// checkKeySpec validates CreateKey's KeySpec and KeyUsage (filled with
// their defaults, SYMMETRIC_DEFAULT and ENCRYPT_DECRYPT) and their
// combination, as KMS does.
func (c *call) checkKeySpec(spec *KeySpec) *apiError {
	if spec.KeySpec == "" {
		spec.KeySpec = "SYMMETRIC_DEFAULT"
	}
	if spec.KeyUsage == "" {
		spec.KeyUsage = "ENCRYPT_DECRYPT"
	}
	if !slices.Contains(keyUsageEnum, spec.KeyUsage) {
		return badRequest("ValidationException", "1 validation error detected: Value '%s' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: %s", spec.KeyUsage, enumText(keyUsageEnum))
	}
	usages, ok := keyUsages[spec.KeySpec]
	if !ok {
		return badRequest("ValidationException", "1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: %s", spec.KeySpec, enumText(keySpecEnum))
	}
	if _, ok := usages[spec.KeyUsage]; !ok {
		return badRequest("ValidationException", "KeyUsage %s is not compatible with KeySpec %s", spec.KeyUsage, spec.KeySpec)
	}
	if spec.KeySpec == "SM2" && !strings.HasPrefix(c.region, "cn-") {
		return badRequest("UnsupportedOperationException", "KeySpec SM2 is available in the China Regions only")
	}
	if spec.KeySpec != "SYMMETRIC_DEFAULT" && (spec.Origin == "AWS_CLOUDHSM" || spec.Origin == "EXTERNAL_KEY_STORE") {
		return badRequest("UnsupportedOperationException", "Keys in a custom key store must have KeySpec SYMMETRIC_DEFAULT")
	}
	return nil
}

// algorithms returns the key's algorithms for DescribeKey.
func (k *kmsKey) algorithms() keyAlgorithms {
	return keyUsages[k.keySpec][k.keyUsage]
}

// rotates reports whether KMS rotates the key automatically at all:
// symmetric encryption keys with key material KMS generated, in KMS.
func (k *kmsKey) rotates() bool {
	return k.origin == "AWS_KMS" && k.keySpec == "SYMMETRIC_DEFAULT"
}

// defaultRotationPeriod is how often KMS rotates AWS-managed keys, and
// customer keys whose rotation was enabled without a period.
const defaultRotationPeriod = 365

// nextRotation returns the first rotation date after now of a key rotated
// every period days since start.
func nextRotation(start, now time.Time, period int32) time.Time {
	step := time.Duration(period) * 24 * time.Hour
	next := start.Add(step)
	for !next.After(now) {
		next = next.Add(step)
	}
	return next.Truncate(time.Second)
}

// legacyKeySpec is the deprecated CustomerMasterKeySpec: the KeySpec, for
// the specs that existed before it was deprecated, and nothing for later
// ones (ML-DSA, Ed25519), which its enum does not have.
func legacyKeySpec(spec string) string {
	if strings.HasPrefix(spec, "ML_DSA_") || spec == "ECC_NIST_EDWARDS25519" {
		return ""
	}
	return spec
}
