"""Un fournisseur OpenID Connect de test sur 127.0.0.1 : code d'autorisation (avec PKCE), jeton d'identité signé
par une clé RSA générée au démarrage (joserfc, la bibliothèque JOSE d'Authlib), document de découverte, JWKS, userinfo.

Sert aux tests navigateur du mode interne, et à l'essayer à la main :
    python -m tests.oidc_provider --port 9000 --app http://127.0.0.1:8501 --secrets .streamlit/secrets.toml
écrit la section `[auth]` pour ce fournisseur puis l'écoute jusqu'à Ctrl+C (docs/DEPLOIEMENT.md).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "pilotage-segur"
# Les identités de test : adresse → (nom, rôle attendu dans tests/oidc_roles.csv).
IDENTITIES = {
    "admin@sante.gouv.fr": "Alice Administratrice",
    "national@sante.gouv.fr": "Noé National",
    "agent@ars-ara.sante.fr": "Rémi Régional",
    "inconnu@example.org": "Ines Inconnue",
}
ROLES_CSV = (
    "identite,role,motif\n"
    "admin@sante.gouv.fr,administrateur,test : imports et référentiels\n"
    "national@sante.gouv.fr,national,test : équipe ministérielle\n"
    "@ars-ara.sante.fr,region:84,test : ARS Auvergne-Rhône-Alpes (tout le domaine)\n"
)


@dataclass
class Provider:
    """L'état du fournisseur : clé de signature, client inscrit, codes en attente."""

    issuer: str
    redirect_uris: set[str]
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    key: Any = field(default_factory=lambda: RSAKey.generate_key(2048))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kid = secrets.token_hex(8)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def claims(self, email: str) -> dict[str, Any]:
        return {
            "sub": hashlib.sha256(email.encode()).hexdigest()[:16],
            "email": email,
            "email_verified": True,
            "name": IDENTITIES[email],
        }

    def id_token(self, email: str, nonce: str | None) -> str:
        now = int(time.time())
        payload = {**self.claims(email), "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 600}
        if nonce:
            payload["nonce"] = nonce
        header = {"alg": "RS256", "kid": self.kid}
        return str(jwt.encode(header, payload, self.key))


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature imposée
            return

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

        def do_GET(self) -> None:  # noqa: N802 - nom imposé par http.server
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/.well-known/openid-configuration":
                self._json(provider.discovery())
            elif url.path == "/jwks":
                self._json(provider.jwks())
            elif url.path == "/authorize":
                self._authorize_page(query)
            elif url.path == "/userinfo":
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                email = provider.tokens.get(token)
                self._json(
                    provider.claims(email) if email else {"error": "invalid_token"}, 200 if email else 401
                )
            else:
                self._json({"error": "not_found"}, 404)

        def _authorize_page(self, query: dict[str, str]) -> None:
            if query.get("client_id") != CLIENT_ID or query.get("redirect_uri") not in provider.redirect_uris:
                self._json({"error": "invalid_client"}, 400)
                return
            hidden = "".join(
                f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v, quote=True)}'>"
                for k, v in query.items()
            )
            buttons = "".join(
                f"<button type='submit' name='identite' value='{html.escape(e)}'>{html.escape(n)} "
                f"({html.escape(e)})</button><br>"
                for e, n in IDENTITIES.items()
            )
            page = (
                "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Fournisseur d'identité de "
                "test</title>"
                f"</head><body><h1>Fournisseur d'identité de test</h1><form method='post' action='/authorize'>{hidden}"
                f"{buttons}</form></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def do_POST(self) -> None:  # noqa: N802 - nom imposé par http.server
            form = self._form()
            if self.path == "/authorize":
                email = form.get("identite", "")
                if email not in IDENTITIES or form.get("redirect_uri") not in provider.redirect_uris:
                    self._json({"error": "access_denied"}, 400)
                    return
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {**form, "email": email, "expires": time.time() + 60}
                query = urllib.parse.urlencode({"code": code, "state": form.get("state", "")})
                target = f"{form['redirect_uri']}?{query}"
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
            elif self.path == "/token":
                self._token(form)
            else:
                self._json({"error": "not_found"}, 404)

        def _token(self, form: dict[str, str]) -> None:
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            basic = self.headers.get("Authorization") or ""
            if basic.startswith("Basic "):
                decoded = base64.b64decode(basic[6:]).decode()
                client_id, client_secret = (urllib.parse.unquote(p) for p in decoded.split(":", 1))
            if client_id != CLIENT_ID or client_secret != provider.client_secret:
                self._json({"error": "invalid_client"}, 401)
                return
            grant = provider.codes.pop(form.get("code", ""), None)
            if (
                form.get("grant_type") != "authorization_code"
                or grant is None
                or grant["expires"] < time.time()
                or grant.get("redirect_uri") != form.get("redirect_uri")
            ):
                self._json({"error": "invalid_grant"}, 400)
                return
            challenge = grant.get("code_challenge")
            if challenge:
                verifier = form.get("code_verifier", "")
                digest = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                )
                if digest != challenge:
                    self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
                    return
            access = secrets.token_urlsafe(24)
            provider.tokens[access] = grant["email"]
            self._json(
                {
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "scope": grant.get("scope", "openid"),
                    "id_token": provider.id_token(grant["email"], grant.get("nonce")),
                }
            )

    return Handler


class ProviderServer:
    """Le fournisseur dans un fil d'exécution, arrêté par `stop()`."""

    def __init__(self, port: int, redirect_uris: set[str]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(Provider("", set())))
        self.port = int(self.httpd.server_address[1])
        self.provider = Provider(f"http://127.0.0.1:{self.port}", redirect_uris)
        self.httpd.RequestHandlerClass = _handler(self.provider)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> ProviderServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def secrets_toml(self, app_url: str) -> str:
        return (
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{self.provider.client_secret}"\n'
            f'server_metadata_url = "{self.provider.issuer}/.well-known/openid-configuration"\n'
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Fournisseur OpenID Connect de test (127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--app", default="http://127.0.0.1:8501", help="adresse de l'application")
    parser.add_argument("--secrets", type=Path, required=True, help="fichier secrets.toml à écrire")
    parser.add_argument("--roles", type=Path, help="fichier des rôles de test à écrire")
    args = parser.parse_args()
    server = ProviderServer(args.port, {f"{args.app}/oauth2callback"}).start()
    args.secrets.parent.mkdir(parents=True, exist_ok=True)
    args.secrets.write_text(server.secrets_toml(args.app), encoding="utf-8")
    if args.roles:
        args.roles.write_text(ROLES_CSV, encoding="utf-8")
    print(f"Fournisseur de test sur {server.provider.issuer} ; section [auth] écrite dans {args.secrets}.")
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
