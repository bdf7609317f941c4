// An independent fan-out harness for chatd's framed protocol, sharing no code with chatd-bench:
// it exists to check chatd-bench's fan-out figure (issue 10: "what an independent harness
// sees"). One sender, N-1 receivers in chatd's lobby; the sender keeps at most WINDOW messages
// in flight (sent × receivers − deliveries received), the receivers parse frames and count
// deliveries. Prints deliveries/s over the measured seconds and this process's CPU share.
//
//   cc -O2 -o fanout-check scripts/bench/fanout-check.c
//   fanout-check PORT [CLIENTS=100] [SECONDS=5] [WINDOW=256]
//
// Frames (DESIGN.md §2): a 10-byte ASCII decimal length, space padded, then the payload. The
// server sends each message as a sender frame and a text frame; sender "*" marks a notice.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    char hdr[10];
    int hdr_have;      // header bytes read of the current frame
    long payload_left; // payload bytes still to skip
    int text_next;     // the next frame is a text frame
    int notice;        // that text belongs to a notice
    int want_first;    // the next payload byte is the first of a sender frame
    char first;        // first payload byte of the last sender frame
} conn_t;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void frame(char *out, int *len, const char *payload, int n) {
    int h = snprintf(out + *len, 11, "%-10d", n);
    (void)h;
    memcpy(out + *len + 10, payload, n);
    *len += 10 + n;
}

static long complete(conn_t *c) {
    long delivery = 0;
    if (c->text_next) {
        delivery = !c->notice;
        c->text_next = 0;
    } else {
        c->notice = c->first == '*';
        c->text_next = 1;
    }
    c->hdr_have = 0;
    return delivery;
}

// Parses what arrived; returns the number of complete non-notice messages (deliveries).
static long parse(conn_t *c, const char *b, long n) {
    long deliveries = 0, i = 0;
    while (i < n) {
        if (c->hdr_have < 10) {
            c->hdr[c->hdr_have++] = b[i++];
            if (c->hdr_have < 10) continue;
            char tmp[11];
            memcpy(tmp, c->hdr, 10);
            tmp[10] = 0;
            c->payload_left = strtol(tmp, NULL, 10);
            c->want_first = !c->text_next;
            c->first = 0;
            if (c->payload_left == 0) deliveries += complete(c);
            continue;
        }
        if (c->want_first) {
            c->first = b[i];
            c->want_first = 0;
        }
        long k = n - i < c->payload_left ? n - i : c->payload_left;
        c->payload_left -= k;
        i += k;
        if (c->payload_left == 0) deliveries += complete(c);
    }
    return deliveries;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fanout-check PORT [CLIENTS] [SECONDS] [WINDOW]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int clients = argc > 2 ? atoi(argv[2]) : 100;
    double seconds = argc > 3 ? atof(argv[3]) : 5;
    long window = argc > 4 ? atol(argv[4]) : 256;
    int receivers = clients - 1;
    conn_t *conns = calloc(clients, sizeof(conn_t));
    int ep = epoll_create1(0);
    for (int i = 0; i < clients; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            perror("connect");
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char hello[64];
        int len = 0;
        char name[16];
        int nn = snprintf(name, sizeof name, "h%d", i);
        frame(hello, &len, name, nn);
        if (write(fd, hello, len) != len) return 1;
        conns[i].fd = fd;
        if (i > 0) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
    }
    usleep(300000);  // let the joins (and their notices) settle before sending
    // A batch of 64-byte messages for the sender.
    enum { BATCH = 64, TEXT = 64 };
    char text[TEXT];
    memset(text, 'x', TEXT);
    char *batch = malloc(BATCH * (10 + TEXT));
    int batch_len = 0;
    for (int k = 0; k < BATCH; k++) frame(batch, &batch_len, text, TEXT);
    long sent = 0, delivered = 0;
    static char buf[1 << 18];
    double start = now(), t0 = 0, c0 = 0;
    long d0 = 0;
    const double warmup = 1;
    for (;;) {
        double t = now();
        if (t0 == 0 && t - start >= warmup) {
            t0 = t;
            d0 = delivered;
            c0 = cpu();
        }
        if (t0 > 0 && t - t0 >= seconds) break;
        // Send while fewer than WINDOW messages per receiver are in flight.
        while ((sent + BATCH) * receivers - delivered <= window * receivers) {
            ssize_t w = send(conns[0].fd, batch, batch_len, MSG_DONTWAIT);
            if (w == batch_len) {
                sent += BATCH;
                continue;
            }
            if (w > 0) {  // partial: finish it blocking, it is one batch
                long off = w;
                while (off < batch_len) {
                    ssize_t r = write(conns[0].fd, batch + off, batch_len - off);
                    if (r <= 0) return 1;
                    off += r;
                }
                sent += BATCH;
            }
            break;
        }
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, 1);
        for (int e = 0; e < n; e++) {
            conn_t *c = &conns[evs[e].data.u32];
            ssize_t r = read(c->fd, buf, sizeof buf);
            if (r > 0) delivered += parse(c, buf, r);
            else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                fprintf(stderr, "a receiver was closed by the server\n");
                return 1;
            }
        }
    }
    double t1 = now(), c1 = cpu();
    printf("deliveries/s %.0f messages/s %.0f harness_cpu %.0f %%\n", (delivered - d0) / (t1 - t0),
           (delivered - d0) / (t1 - t0) / receivers, (c1 - c0) / (t1 - t0) * 100);
    return 0;
}
