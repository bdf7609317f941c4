// OpenSSL 3 (Debian's libssl-dev) for Swift. Swift cannot import function-like macros, so the
// few the TLS module needs are re-exported here as static inline functions; no logic lives here.
#ifndef CHATD_COPENSSL_SHIM_H
#define CHATD_COPENSSL_SHIM_H

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

// SSL_CTX_set_options(3): the SSL_OP_* values are built with the SSL_OP_BIT() macro.
static inline uint64_t chatd_ssl_op_no_compression(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t chatd_ssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t chatd_ssl_op_enable_ktls(void) { return SSL_OP_ENABLE_KTLS; }
static inline uint64_t chatd_ssl_op_ignore_unexpected_eof(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline uint64_t chatd_ssl_op_no_ticket(void) { return SSL_OP_NO_TICKET; }

// SSL_CTX_set_mode(3), SSL_CTX_set_min_proto_version(3), SSL_CTX_set_session_cache_mode(3) and
// SSL_CTX_set_read_ahead(3) are SSL_CTX_ctrl() macros.
static inline long chatd_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long chatd_ssl_ctx_get_mode(SSL_CTX *ctx) { return SSL_CTX_get_mode(ctx); }
static inline long chatd_ssl_mode_partial_write(void) { return SSL_MODE_ENABLE_PARTIAL_WRITE; }
static inline long chatd_ssl_mode_moving_buffer(void) { return SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
static inline long chatd_ssl_mode_release_buffers(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline int chatd_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
static inline int chatd_ssl_ctx_get_min_proto_version(SSL_CTX *ctx) { return (int)SSL_CTX_get_min_proto_version(ctx); }
static inline int chatd_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
static inline long chatd_ssl_ctx_set_session_cache_off(SSL_CTX *ctx) { return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); }
static inline void chatd_ssl_ctx_set_read_ahead(SSL_CTX *ctx, int yes) { SSL_CTX_set_read_ahead(ctx, yes); }

// SSL_set_tlsext_host_name(3): the SNI a client sends.
static inline int chatd_ssl_set_sni(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }

// BIO_get_ktls_send(3): whether OpenSSL handed record encryption to the kernel on this socket.
static inline int chatd_bio_ktls_send(BIO *b) { return (int)BIO_get_ktls_send(b); }
static inline int chatd_bio_ktls_recv(BIO *b) { return (int)BIO_get_ktls_recv(b); }

// ERR_GET_REASON is a macro; SSL_R_UNEXPECTED_EOF_WHILE_READING is what OpenSSL 3 reports for a
// TCP FIN without close_notify (SSL_get_error(3), BUGS).
static inline int chatd_err_reason(unsigned long e) { return ERR_GET_REASON(e); }
// ERR_SYSTEM_ERROR(3): the entry carries an errno (a missing file), not an OpenSSL reason.
static inline int chatd_err_is_system(unsigned long e) { return ERR_SYSTEM_ERROR(e); }
static inline int chatd_ssl_r_unexpected_eof(void) { return SSL_R_UNEXPECTED_EOF_WHILE_READING; }

// errno around an SSL_* call (SSL_ERROR_SYSCALL); Swift's Glibc.errno is not guaranteed to be
// usable across the call boundary, a function is.
static inline int chatd_tls_errno(void) { return errno; }
static inline void chatd_tls_clear_errno(void) { errno = 0; }

#endif
