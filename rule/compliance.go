package rule

import "github.com/cmkguard/cmkguard/finding"

// The compliance frameworks rules map to. docs/rules.md cites, for every
// mapping, the control text it relies on; change both together.
const (
	FrameworkGDPR   = "GDPR"
	FrameworkAPRA   = "APRA CPS 234"
	FrameworkNIST   = "NIST SP 800-53 Rev. 5"
	FrameworkPCI    = "PCI DSS v4.0"
	FrameworkHIPAA  = "HIPAA Security Rule"
	FrameworkCISAWS = "CIS AWS Foundations Benchmark v3.0.0"
)

// Frameworks lists the frameworks in the order reports show them. No CIS
// AWS Foundations control covers DMS, so no rule maps to it yet (the key
// rotation rule will: docs/rules.md).
var Frameworks = []string{FrameworkGDPR, FrameworkAPRA, FrameworkNIST, FrameworkPCI, FrameworkHIPAA, FrameworkCISAWS}

var (
	gdprEncryption   = finding.Control{Framework: FrameworkGDPR, ID: "Art. 32(1)(a)", Title: "Encryption of personal data"}
	gdprResilience   = finding.Control{Framework: FrameworkGDPR, ID: "Art. 32(1)(b)", Title: "Ongoing confidentiality, integrity, availability and resilience"}
	gdprRestore      = finding.Control{Framework: FrameworkGDPR, ID: "Art. 32(1)(c)", Title: "Timely restoration of availability and access"}
	apraControls     = finding.Control{Framework: FrameworkAPRA, ID: "21", Title: "Implementation of information security controls"}
	nistKeyMgmt      = finding.Control{Framework: FrameworkNIST, ID: "SC-12", Title: "Cryptographic Key Establishment and Management"}
	nistKeyAvail     = finding.Control{Framework: FrameworkNIST, ID: "SC-12(1)", Title: "Cryptographic Key Establishment and Management | Availability"}
	nistCrypto       = finding.Control{Framework: FrameworkNIST, ID: "SC-13", Title: "Cryptographic Protection"}
	nistAtRest       = finding.Control{Framework: FrameworkNIST, ID: "SC-28", Title: "Protection of Information at Rest"}
	nistAtRestCrypto = finding.Control{Framework: FrameworkNIST, ID: "SC-28(1)", Title: "Protection of Information at Rest | Cryptographic Protection"}
	pciStoredData    = finding.Control{Framework: FrameworkPCI, ID: "3.5.1", Title: "PAN is rendered unreadable anywhere it is stored"}
	pciKeyProtection = finding.Control{Framework: FrameworkPCI, ID: "3.6.1", Title: "Cryptographic keys protected against disclosure and misuse"}
	pciKeyRetire     = finding.Control{Framework: FrameworkPCI, ID: "3.7.5", Title: "Key retirement, replacement or destruction"}
	pciAuthFactors   = finding.Control{Framework: FrameworkPCI, ID: "8.3.2", Title: "Authentication factors unreadable in transmission and storage"}
	hipaaEncryption  = finding.Control{Framework: FrameworkHIPAA, ID: "164.312(a)(2)(iv)", Title: "Encryption and decryption"}
	nistAccess       = finding.Control{Framework: FrameworkNIST, ID: "AC-3", Title: "Access Enforcement"}
	nistLeastPriv    = finding.Control{Framework: FrameworkNIST, ID: "AC-6", Title: "Least Privilege"}
	pciCryptoperiod  = finding.Control{Framework: FrameworkPCI, ID: "3.7.4", Title: "Key changes at the end of the cryptoperiod"}
	cisKMSRotation   = finding.Control{Framework: FrameworkCISAWS, ID: "3.6", Title: "Ensure rotation for customer-created symmetric CMKs is enabled"}
)

// Control sets shared by rules of the same kind.
var (
	// dataAtRestCMK: DMS data at rest under a key the customer controls.
	dataAtRestCMK = []finding.Control{
		gdprEncryption, apraControls,
		nistKeyMgmt, nistCrypto, nistAtRest, nistAtRestCrypto,
		pciStoredData, pciKeyProtection, pciKeyRetire,
		hipaaEncryption,
	}
	// keyUsable: the key that protects DMS data can still decrypt it.
	keyUsable = []finding.Control{
		gdprResilience, gdprRestore, apraControls,
		nistKeyMgmt, nistKeyAvail, nistAtRest,
	}
	// endpointSecrets: endpoint connection information, credentials included.
	endpointSecrets = []finding.Control{
		gdprEncryption, apraControls,
		nistKeyMgmt, nistCrypto, nistAtRest, nistAtRestCrypto,
		pciKeyProtection, pciAuthFactors,
	}
)

// Control sets of the key soundness rules (keysound.go).
var (
	// keyPolicyControls: the key policy restricts who may use the key.
	keyPolicyControls = []finding.Control{
		gdprEncryption, apraControls,
		nistAccess, nistLeastPriv, nistKeyMgmt,
		pciKeyProtection,
	}
	// keyRotationControls: the key's material changes on a cryptoperiod.
	keyRotationControls = []finding.Control{
		apraControls,
		nistKeyMgmt,
		pciCryptoperiod,
		cisKMSRotation,
	}
)
