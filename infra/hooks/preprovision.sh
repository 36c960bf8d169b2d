#!/bin/sh
# azd's preprovision hook (azure.yaml): refuses to provision without a fal key. Without one, Fal__Key is a Key Vault
# reference to a secret that does not exist, every fal call is a 401, and nothing says so until the first job fails.
key=$(azd env get-value FAL_KEY 2>/dev/null) || key=""
if [ -z "$key" ]; then
  echo "FAL_KEY is not set in this azd environment, and the app cannot call fal.ai without it." >&2
  echo "Set it (a key from https://fal.ai/dashboard/keys, \"id:secret\"), then run azd up again:" >&2
  echo "  azd env set FAL_KEY <id:secret>" >&2
  exit 1
fi
