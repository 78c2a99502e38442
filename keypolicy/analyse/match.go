package analyse

import (
	"cmp"
	"slices"
	"strings"
)

func sortConditions(cs []condition) {
	slices.SortFunc(cs, func(a, b condition) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.Operator, b.Operator))
	})
}

// glob matches s against pattern with IAM's wildcards: * any run of
// characters, ? any one character. fold makes it case-insensitive (actions).
func glob(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Iterative matcher with one backtrack point: linear enough for policy
	// sizes, and no recursion for a fuzzer to blow up.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// arnGlob matches an ARN against an ARN pattern as ArnEquals and ArnLike
// do: each of the six colon-separated parts separately, wildcards within a
// part. A pattern that is not six parts matches only when it is "*".
func arnGlob(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !glob(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}

// kmsActions is every action of the KMS API (the service model's
// operations), so that wildcards and NotAction are judged by matching
// names, not by guessing.
var kmsActions = []string{
	"kms:CancelKeyDeletion", "kms:ConnectCustomKeyStore", "kms:CreateAlias", "kms:CreateCustomKeyStore",
	"kms:CreateGrant", "kms:CreateKey", "kms:Decrypt", "kms:DeleteAlias", "kms:DeleteCustomKeyStore",
	"kms:DeleteImportedKeyMaterial", "kms:DeriveSharedSecret", "kms:DescribeCustomKeyStores", "kms:DescribeKey",
	"kms:DisableKey", "kms:DisableKeyRotation", "kms:DisconnectCustomKeyStore", "kms:EnableKey",
	"kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
	"kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateMac",
	"kms:GenerateRandom", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:GetParametersForImport",
	"kms:GetPublicKey", "kms:ImportKeyMaterial", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
	"kms:ListKeyRotations", "kms:ListKeys", "kms:ListResourceTags", "kms:ListRetirableGrants",
	"kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:ReplicateKey", "kms:RetireGrant",
	"kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:Sign", "kms:TagResource",
	"kms:UntagResource", "kms:UpdateAlias", "kms:UpdateCustomKeyStore", "kms:UpdateKeyDescription",
	"kms:UpdatePrimaryRegion", "kms:Verify", "kms:VerifyMac",
}

// SensitiveActions are the actions that use the key's material or change who
// controls it: a statement that lets the world do any of them leaves the key
// open. Reading metadata (DescribeKey, GetKeyPolicy, List*) or the public
// half of an asymmetric key is not.
var SensitiveActions = []string{
	// Use.
	"kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
	"kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
	"kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateMac", "kms:Sign", "kms:DeriveSharedSecret",
	// Delegation and administration.
	"kms:CreateGrant", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey",
	"kms:DisableKeyRotation", "kms:DeleteImportedKeyMaterial", "kms:ImportKeyMaterial",
	"kms:ReplicateKey", "kms:UpdatePrimaryRegion", "kms:RevokeGrant", "kms:RetireGrant",
}

// coversAction reports whether a statement's Action (or NotAction) covers
// action, matching names case-insensitively with wildcards.
func (s *statement) coversAction(action string) bool {
	matched := false
	for _, a := range s.Actions {
		if glob(a, action, true) {
			matched = true
			break
		}
	}
	return matched != s.NotAction
}

// actionsCovered lists which of actions the statement covers.
func (s *statement) actionsCovered(actions []string) []string {
	var out []string
	for _, a := range actions {
		if s.coversAction(a) {
			out = append(out, a)
		}
	}
	return out
}

// resourceCoverage says whether a statement applies to the key: yes, no, or
// maybe (a Resource that names something else, when the key's ARN is not
// known). In a key policy, "*" means this key.
func (s *statement) resourceCoverage(keyARN string) tri {
	matched := tri(no)
	for _, r := range s.Resources {
		switch {
		case r == "*":
			matched = yes
		case keyARN != "" && arnGlob(r, keyARN):
			matched = yes
		case keyARN == "" && matched == no:
			matched = maybe
		}
	}
	if s.NotResource {
		switch matched {
		case yes:
			return no
		case no:
			return yes
		}
	}
	return matched
}

// tri is a three-valued truth: no, maybe, yes.
type tri int

const (
	no tri = iota
	maybe
	yes
)
