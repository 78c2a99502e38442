package awsemu

import (
	"maps"
	"strings"
)

// dmsEndpoint is a DMS endpoint.
type dmsEndpoint struct {
	record
	endpointType     string // SOURCE or TARGET
	engine           string
	serverName       string
	port             int32
	databaseName     string
	username         string
	extra            string
	kmsKeyARN        string
	certificateARN   string
	sslMode          string
	s3Settings       map[string]any
	redshiftSettings map[string]any
	// docDbSettings and mongoDbSettings: dms_endpoint_settings.go.
	docDbSettings, mongoDbSettings map[string]any
}

type endpointJSON struct {
	EndpointIdentifier        string         `json:"EndpointIdentifier"`
	EndpointType              string         `json:"EndpointType"`
	EngineName                string         `json:"EngineName"`
	EngineDisplayName         string         `json:"EngineDisplayName"`
	Username                  string         `json:"Username,omitempty"`
	ServerName                string         `json:"ServerName,omitempty"`
	Port                      int32          `json:"Port,omitempty"`
	DatabaseName              string         `json:"DatabaseName,omitempty"`
	ExtraConnectionAttributes string         `json:"ExtraConnectionAttributes,omitempty"`
	Status                    string         `json:"Status"`
	KmsKeyID                  string         `json:"KmsKeyId"`
	EndpointArn               string         `json:"EndpointArn"`
	CertificateArn            string         `json:"CertificateArn,omitempty"`
	SslMode                   string         `json:"SslMode"`
	S3Settings                map[string]any `json:"S3Settings,omitempty"`
	RedshiftSettings          map[string]any `json:"RedshiftSettings,omitempty"`
	DocDbSettings             map[string]any `json:"DocDbSettings,omitempty"`
	MongoDbSettings           map[string]any `json:"MongoDbSettings,omitempty"`
}

var engineDisplayNames = map[string]string{
	"mysql": "MySQL", "postgres": "PostgreSQL", "oracle": "Oracle", "sqlserver": "Microsoft SQL Server",
	"aurora": "Amazon Aurora MySQL", "aurora-postgresql": "Amazon Aurora PostgreSQL", "mariadb": "MariaDB",
	"s3": "Amazon S3", "redshift": "Amazon Redshift", "dynamodb": "Amazon DynamoDB", "kinesis": "Amazon Kinesis",
	"kafka": "Kafka", "mongodb": "MongoDB", "docdb": "Amazon DocumentDB", "opensearch": "Amazon OpenSearch Service",
	"db2": "IBM Db2 LUW", "sybase": "SAP ASE",
}

func (e *dmsEndpoint) view() endpointJSON {
	display := engineDisplayNames[e.engine]
	if display == "" {
		display = e.engine
	}
	v := endpointJSON{EndpointIdentifier: e.id, EndpointType: e.endpointType, EngineName: e.engine, EngineDisplayName: display,
		Username: e.username, ServerName: e.serverName, Port: e.port, DatabaseName: e.databaseName,
		ExtraConnectionAttributes: e.extra, Status: e.status, KmsKeyID: e.kmsKeyARN, EndpointArn: e.arn,
		CertificateArn: e.certificateARN, SslMode: e.sslMode}
	if e.s3Settings != nil {
		v.S3Settings = maps.Clone(e.s3Settings)
	}
	if e.redshiftSettings != nil {
		v.RedshiftSettings = maps.Clone(e.redshiftSettings)
	}
	v.DocDbSettings, v.MongoDbSettings = maps.Clone(e.docDbSettings), maps.Clone(e.mongoDbSettings)
	return v
}

type createEndpointInput struct {
	EndpointIdentifier        string         `json:"EndpointIdentifier"`
	EndpointType              string         `json:"EndpointType"`
	EngineName                string         `json:"EngineName"`
	Username                  string         `json:"Username"`
	Password                  string         `json:"Password"`
	ServerName                string         `json:"ServerName"`
	Port                      *int32         `json:"Port"`
	DatabaseName              string         `json:"DatabaseName"`
	ExtraConnectionAttributes string         `json:"ExtraConnectionAttributes"`
	KmsKeyID                  string         `json:"KmsKeyId"`
	Tags                      []apiTag       `json:"Tags"`
	CertificateArn            string         `json:"CertificateArn"`
	SslMode                   string         `json:"SslMode"`
	S3Settings                map[string]any `json:"S3Settings"`
	RedshiftSettings          map[string]any `json:"RedshiftSettings"`
	DocDbSettings             map[string]any `json:"DocDbSettings"`
	MongoDbSettings           map[string]any `json:"MongoDbSettings"`
	ResourceIdentifier        string         `json:"ResourceIdentifier"`
}

// checkEncryptionSettings validates S3Settings/RedshiftSettings encryption
// and the key they name.
func (c *call) checkEncryptionSettings(name string, settings map[string]any) *apiError {
	if settings == nil {
		return nil
	}
	mode := encryptionMode(settings)
	if mode != "" {
		settings["EncryptionMode"] = mode
	}
	keyID, _ := settings["ServerSideEncryptionKmsKeyId"].(string)
	switch mode {
	case "", "sse-s3":
		if keyID != "" {
			return invalidParam("%s.ServerSideEncryptionKmsKeyId requires EncryptionMode SSE_KMS", name)
		}
	case "sse-kms":
		if keyID != "" {
			if _, aerr := c.dmsKey(keyID); aerr != nil {
				return aerr
			}
		}
	default:
		return invalidParam("Invalid %s.EncryptionMode %s: use sse-s3 or sse-kms", name, mode)
	}
	return nil
}

// encryptionMode returns a settings map's EncryptionMode in the API's enum
// form (sse-s3, sse-kms), accepting the SSE_S3/SSE_KMS spelling of the docs.
func encryptionMode(settings map[string]any) string {
	mode, _ := settings["EncryptionMode"].(string)
	norm := strings.ToLower(strings.ReplaceAll(mode, "_", "-"))
	if norm == "sse-s3" || norm == "sse-kms" {
		return norm
	}
	return mode
}

func (c *call) dmsCreateEndpoint() (any, *apiError) {
	var in createEndpointInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	e, aerr := c.createEndpoint(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"Endpoint": e.view()}, nil
}

func (c *call) createEndpoint(in createEndpointInput) (*dmsEndpoint, *apiError) {
	if aerr := checkSslMode(in.SslMode); aerr != nil {
		return nil, aerr
	}
	id, aerr := validIdentifier("EndpointIdentifier", in.EndpointIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	typ := strings.ToUpper(in.EndpointType)
	if typ != "SOURCE" && typ != "TARGET" {
		if typ == "" {
			return nil, required("EndpointType", "")
		}
		return nil, invalidParam("Invalid EndpointType %s: use source or target", in.EndpointType)
	}
	if aerr := required("EngineName", in.EngineName); aerr != nil {
		return nil, aerr
	}
	engine := strings.ToLower(in.EngineName)
	if _, known := engineDisplayNames[engine]; !known {
		return nil, invalidParam("Invalid EngineName %s", in.EngineName)
	}
	z := c.zone()
	if aerr := freeIdentifier(c, &z.endpoints, nil, "Endpoint", id); aerr != nil {
		return nil, aerr
	}
	if aerr := c.checkEncryptionSettings("S3Settings", in.S3Settings); aerr != nil {
		return nil, aerr
	}
	if aerr := c.checkEncryptionSettings("RedshiftSettings", in.RedshiftSettings); aerr != nil {
		return nil, aerr
	}
	if aerr := c.checkSettingsKeys(in); aerr != nil {
		return nil, aerr
	}
	keyARN, aerr := c.dmsKey(in.KmsKeyID)
	if aerr != nil {
		return nil, aerr
	}
	rid, aerr := resourceIDFor(in.ResourceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	e := &dmsEndpoint{endpointType: typ, engine: engine, serverName: in.ServerName, databaseName: in.DatabaseName,
		username: in.Username, extra: in.ExtraConnectionAttributes, kmsKeyARN: keyARN, certificateARN: in.CertificateArn,
		sslMode: in.SslMode, s3Settings: in.S3Settings, redshiftSettings: in.RedshiftSettings,
		docDbSettings: in.DocDbSettings, mongoDbSettings: in.MongoDbSettings}
	if e.sslMode == "" {
		e.sslMode = "none"
	}
	if in.Port != nil {
		e.port = *in.Port
	}
	if engine == "s3" && e.s3Settings == nil {
		e.s3Settings = map[string]any{}
	}
	if e.s3Settings != nil && e.s3Settings["EncryptionMode"] == nil && engine == "s3" {
		e.s3Settings["EncryptionMode"] = "sse-s3"
	}
	e.record = c.newRecord(id, "endpoint", rid, "active")
	if aerr := c.authorize("dms:CreateEndpoint", e.arn); aerr != nil {
		return nil, aerr
	}
	e.tags = tagsFromAPI(in.Tags)
	z.endpoints.add(e)
	return e, nil
}

func (c *call) dmsDescribeEndpoints() (any, *apiError) {
	var in describeInput
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := describe(c, &c.zone().endpoints, in, describeQuery[*dmsEndpoint]{
		filters: []string{"endpoint-arn", "endpoint-type", "endpoint-id", "engine-name"}, idFilter: "endpoint-id", arnFilter: "endpoint-arn",
		match: func(fs filterSet, e *dmsEndpoint) bool {
			return fs.match("endpoint-type", e.endpointType) && fs.match("engine-name", e.engine)
		},
		none: "No endpoints found matching the provided filters",
	})
	if aerr != nil {
		return nil, aerr
	}
	return describeOutput("Endpoints", page, next, (*dmsEndpoint).view), nil
}

func (c *call) endpointByARN(arn, action string) (*dmsEndpoint, *apiError) {
	return byARN(c, &c.zone().endpoints, "Endpoint", "EndpointArn", arn, action)
}

func (c *call) dmsModifyEndpoint() (any, *apiError) {
	var in struct {
		EndpointArn               string         `json:"EndpointArn"`
		EndpointIdentifier        string         `json:"EndpointIdentifier"`
		EndpointType              string         `json:"EndpointType"`
		EngineName                string         `json:"EngineName"`
		Username                  string         `json:"Username"`
		Password                  string         `json:"Password"`
		ServerName                string         `json:"ServerName"`
		Port                      *int32         `json:"Port"`
		DatabaseName              string         `json:"DatabaseName"`
		ExtraConnectionAttributes string         `json:"ExtraConnectionAttributes"`
		CertificateArn            string         `json:"CertificateArn"`
		SslMode                   string         `json:"SslMode"`
		S3Settings                map[string]any `json:"S3Settings"`
		RedshiftSettings          map[string]any `json:"RedshiftSettings"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	if aerr := checkSslMode(in.SslMode); aerr != nil {
		return nil, aerr
	}
	e, aerr := c.endpointByARN(in.EndpointArn, "dms:ModifyEndpoint")
	if aerr != nil {
		return nil, aerr
	}
	for name, pair := range map[string][2]map[string]any{"S3Settings": {e.s3Settings, in.S3Settings}, "RedshiftSettings": {e.redshiftSettings, in.RedshiftSettings}} {
		if pair[1] == nil {
			continue
		}
		if aerr := c.checkEncryptionSettings(name, pair[1]); aerr != nil {
			return nil, aerr
		}
		oldMode := encryptionMode(pair[0])
		newMode := encryptionMode(pair[1])
		if (oldMode == "" || oldMode == "sse-s3") && newMode == "sse-kms" && e.engine == strings.ToLower(strings.TrimSuffix(name, "Settings")) {
			return nil, invalidParam("An endpoint cannot be changed from sse-s3 to sse-kms encryption; create a new endpoint")
		}
	}
	newID, aerr := newIdentifier(c, &c.zone().endpoints, e, "Endpoint", "EndpointIdentifier", in.EndpointIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	typ := strings.ToUpper(in.EndpointType)
	if typ != "" && typ != "SOURCE" && typ != "TARGET" {
		return nil, invalidParam("Invalid EndpointType %s", in.EndpointType)
	}
	c.zone().endpoints.rename(e, newID)
	if typ != "" {
		e.endpointType = typ
	}
	for dst, v := range map[*string]string{&e.username: in.Username, &e.serverName: in.ServerName, &e.databaseName: in.DatabaseName, &e.extra: in.ExtraConnectionAttributes, &e.certificateARN: in.CertificateArn, &e.sslMode: in.SslMode} {
		if v != "" {
			*dst = v
		}
	}
	if in.Port != nil {
		e.port = *in.Port
	}
	if in.S3Settings != nil {
		if e.s3Settings == nil {
			e.s3Settings = map[string]any{}
		}
		maps.Copy(e.s3Settings, in.S3Settings)
	}
	if in.RedshiftSettings != nil {
		if e.redshiftSettings == nil {
			e.redshiftSettings = map[string]any{}
		}
		maps.Copy(e.redshiftSettings, in.RedshiftSettings)
	}
	return map[string]any{"Endpoint": e.view()}, nil
}

func (c *call) dmsDeleteEndpoint() (any, *apiError) {
	var in struct {
		EndpointArn string `json:"EndpointArn"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	e, aerr := c.endpointByARN(in.EndpointArn, "dms:DeleteEndpoint")
	if aerr != nil {
		return nil, aerr
	}
	z := c.zone()
	for _, t := range z.tasks.live(c.now) {
		if t.sourceARN == e.arn || t.targetARN == e.arn {
			return nil, invalidResourceState("Endpoint %s is used by replication task %s", e.id, t.id)
		}
	}
	for _, rc := range z.configs.live(c.now) {
		if rc.sourceARN == e.arn || rc.targetARN == e.arn {
			return nil, invalidResourceState("Endpoint %s is used by replication config %s", e.id, rc.id)
		}
	}
	e.transition(c.now, c.delayed(), "deleting", statusGone, nil)
	return map[string]any{"Endpoint": e.view()}, nil
}
