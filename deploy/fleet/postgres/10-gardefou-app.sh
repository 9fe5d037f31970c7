#!/bin/sh
# Premier démarrage de PostgreSQL (image officielle) : le rôle des instances, sans aucun droit.
# Les droits (lecture, ajout, révocation des clés ; ajout et lecture du registre) sont donnés par
# `gardefou keys init` et `gardefou register init-db`, lancées avec le rôle propriétaire.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="$GARDEFOU_APP_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'EOSQL'
CREATE ROLE gardefou_app LOGIN PASSWORD :'app_password';
EOSQL
