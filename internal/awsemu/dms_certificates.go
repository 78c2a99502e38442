package awsemu

import "strings"

// dmsCertificate is a certificate imported into DMS. DMS encrypts it with
// KmsKeyId, or with the account's aws/dms key when none is given, and
// reports the key it used.
type dmsCertificate struct {
	record
	pem, kmsKeyArn string
}

// certificateJSON is the model's Certificate shape (the wallet is not
// served: the emulator takes PEM certificates only).
type certificateJSON struct {
	CertificateIdentifier   string `json:"CertificateIdentifier"`
	CertificateArn          string `json:"CertificateArn"`
	CertificateCreationDate *epoch `json:"CertificateCreationDate,omitempty"`
	CertificatePem          string `json:"CertificatePem,omitempty"`
	CertificateOwner        string `json:"CertificateOwner,omitempty"`
	KmsKeyID                string `json:"KmsKeyId,omitempty"`
}

func (c *dmsCertificate) view() certificateJSON {
	return certificateJSON{CertificateIdentifier: c.id, CertificateArn: c.arn, CertificateCreationDate: ts(c.created),
		CertificatePem: c.pem, CertificateOwner: accountOfDMSARN(c.arn), KmsKeyID: c.kmsKeyArn}
}

func accountOfDMSARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

type importCertificateInput struct {
	CertificateIdentifier string   `json:"CertificateIdentifier"`
	CertificatePem        string   `json:"CertificatePem"`
	KmsKeyID              string   `json:"KmsKeyId"`
	Tags                  []apiTag `json:"Tags"`
}

func (c *call) dmsImportCertificate() (any, *apiError) {
	var in importCertificateInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	cert, aerr := c.importCertificate(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"Certificate": cert.view()}, nil
}

func (c *call) importCertificate(in importCertificateInput) (*dmsCertificate, *apiError) {
	if aerr := required("CertificateIdentifier", in.CertificateIdentifier); aerr != nil {
		return nil, aerr
	}
	if !strings.HasPrefix(strings.TrimSpace(in.CertificatePem), "-----BEGIN CERTIFICATE-----") {
		return nil, badRequest("InvalidCertificateFault", "The certificate is not a PEM-encoded X.509 certificate")
	}
	id := strings.ToLower(in.CertificateIdentifier)
	z := c.zone()
	if aerr := freeIdentifier(c, &z.certificates, nil, "Certificate", id); aerr != nil {
		return nil, aerr
	}
	cert := &dmsCertificate{pem: in.CertificatePem}
	cert.record = c.newRecord(id, "cert", opaqueID(), "available")
	if aerr := c.authorize("dms:ImportCertificate", cert.arn); aerr != nil {
		return nil, aerr
	}
	arn, aerr := c.dmsKey(in.KmsKeyID)
	if aerr != nil {
		return nil, aerr
	}
	cert.kmsKeyArn = arn
	cert.tags = tagsFromAPI(in.Tags)
	z.certificates.add(cert)
	return cert, nil
}

func (c *call) dmsDescribeCertificates() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().certificates, in, describeQuery[*dmsCertificate]{
		filters: []string{"certificate-id", "certificate-arn"}, idFilter: "certificate-id", arnFilter: "certificate-arn",
		none: "No certificates found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("Certificates", page, next, (*dmsCertificate).view), nil
}

// EstateCertificate is a certificate imported into DMS.
type EstateCertificate struct {
	ID      string `json:"id"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// KmsKey is a key id, key ARN, alias name or alias ARN. Empty: aws/dms.
	KmsKey string `json:"kmsKey,omitempty"`
	// PEM is the certificate; default: a placeholder PEM block.
	PEM  string            `json:"pem,omitempty"`
	Tags map[string]string `json:"tags,omitempty"`
}

// placeholderPEM is a PEM block that is not a real certificate: the
// emulator checks the armour only.
const placeholderPEM = "-----BEGIN CERTIFICATE-----\nY21rZ3VhcmQgZW11bGF0b3IgcGxhY2Vob2xkZXI=\n-----END CERTIFICATE-----\n"

func (l *estateLoader) certificates(certs []EstateCertificate) error {
	for _, ec := range certs {
		c, err := l.call(ec.Account, ec.Region)
		if err != nil {
			return wrap("certificate", ec.ID, err)
		}
		cert, aerr := c.importCertificate(importCertificateInput{CertificateIdentifier: ec.ID, CertificatePem: orDefault(ec.PEM, placeholderPEM), KmsKeyID: ec.KmsKey})
		if aerr != nil {
			return wrap("certificate", ec.ID, apiErr(aerr))
		}
		cert.tags = tagsFromMap(ec.Tags)
	}
	return nil
}
