environment           = "staging"
serverless_kms_key_id = "alias/dms-serverless"
