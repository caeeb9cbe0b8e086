/* SPDX-License-Identifier: MIT */
/* A PEM public key file (key=): read it, turn it into a JWK, add it to a key set. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwt.h"
#include "secret.h"

/* jwt-helperd(8), FILES: a key's kid is the first 16 characters of its thumbprint, so a
 * PEM copy of the daemon's key matches the kid its tokens carry. */
#define PEM_KID_LEN 16

/* Never ask for a passphrase: OpenSSL's default would read the terminal of
 * whatever process (sshd, sudo) has loaded us. */
static int
pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static size_t
pem_count(const char *text, size_t len, const char *needle)
{
    size_t count = 0, n = strlen(needle);
    const char *p = text, *end = text + len, *hit;

    while ((hit = memmem(p, (size_t)(end - p), needle, n)) != NULL) {
        count++;
        p = hit + n;
    }
    return count;
}

/* Exactly one PEM block, a SubjectPublicKeyInfo ("PUBLIC KEY"). A file
 * holding a private key is refused outright: key= is public, and the file
 * sits where the verifier reads it. */
static jwt_result
pem_public_key_read(const char *text, size_t len, EVP_PKEY **out)
{
    BIO *bio = NULL;
    jwt_result r = JWT_ERR_KEY_INVALID;

    *out = NULL;
    if (len > INT_MAX || pem_count(text, len, "PRIVATE KEY") != 0 ||
        pem_count(text, len, "-----BEGIN ") != 1)
        goto out;
    if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
        r = JWT_ERR_NOMEM;
        goto out;
    }
    if ((*out = PEM_read_bio_PUBKEY(bio, NULL, pem_no_passphrase, NULL)) == NULL)
        goto out;
    r = JWT_OK;
out:
    BIO_free(bio);
    ERR_clear_error();
    return r;
}

static jwt_result
pem_kid_set(struct jwt_jwk *key)
{
    unsigned char thumb[32];
    char *text;
    jwt_result r;

    if ((r = jwt_jwk_thumbprint(key, thumb)) != JWT_OK)
        return r;
    if ((text = jwt_b64url_encode(thumb, sizeof(thumb))) == NULL)
        return JWT_ERR_NOMEM;
    text[PEM_KID_LEN] = '\0'; /* 43 characters long: the cut is inside */
    key->kid = text;
    return JWT_OK;
}

/* Appends key to *set, creating the set when there is none. */
static jwt_result
pem_set_append(struct jwt_jwks **set, struct jwt_jwk *key)
{
    struct jwt_jwks *created = NULL, *s = *set;
    struct jwt_jwk **keys;
    jwt_result r = JWT_ERR_NOMEM;

    if (s == NULL && (s = created = calloc(1, sizeof(*s))) == NULL)
        goto out;
    if (s->n_keys >= JWT_MAX_JWKS_KEYS) {
        r = JWT_ERR_KEY_INVALID;
        goto out;
    }
    if ((keys = realloc(s->keys, (s->n_keys + 1) * sizeof(*keys))) == NULL)
        goto out;
    s->keys = keys;
    s->keys[s->n_keys++] = key;
    *set = s;
    created = NULL;
    r = JWT_OK;
out:
    jwt_jwks_free(created);
    return r;
}

jwt_result
jwt_jwks_add_pem(const char *path, struct jwt_jwks **set)
{
    struct jwt_jwk *key = NULL;
    EVP_PKEY *pkey = NULL;
    char *text = NULL;
    size_t len = 0;
    jwt_result r;

    if ((r = jwt_file_read(path, JWT_MAX_JWKS_BYTES, -1, &text, &len)) != JWT_OK)
        goto out;
    if ((r = pem_public_key_read(text, len, &pkey)) != JWT_OK)
        goto out;
    if ((r = jwt_jwk_from_pkey(pkey, &key)) != JWT_OK || (r = pem_kid_set(key)) != JWT_OK)
        goto out;
    if ((r = pem_set_append(set, key)) != JWT_OK)
        goto out;
    jwt_sig_prepare(key); /* as jwt_jwks_parse does for its keys */
    key = NULL;           /* the set owns it now */
out:
    jwt_jwk_free(key);
    EVP_PKEY_free(pkey);
    secret_free(text, len); /* it may have held a private key we refused */
    return r;
}
