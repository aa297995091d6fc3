/*
 * mqttload: the EdgeBridge benchmark's load generator and receiver.
 *
 *   mqttload pub --port P --count N [--size 256] [--qos 1] [--rate 0] [--devices 100] [--conns 100]
 *                [--window 20] [--prefix sensors] [--suffix telemetry] [--host 127.0.0.1]
 *   mqttload sub --port P --topic F --count N [--qos 1] [--idle-ms 5000] [--timeout-s 300]
 *
 * A raw MQTT 3.1.1 client written for low cost per message, so the generator takes as little of the
 * machine as possible from the brokers and bridges it measures: each connection's PUBLISH packets are
 * built into one buffer and written with one send(); the receiver parses whole reads and answers
 * with one write of PUBACKs. No library, no per-message syscall.
 *
 * pub: one connection per device (device i publishes on <prefix>/dev<i>/<suffix> over connection
 * i % conns), one thread, epoll. Each payload starts with the message's sequence number and its send
 * time (CLOCK_MONOTONIC ns, little-endian u64 each); the rest is padding. --rate 0 sends as fast as
 * the broker takes it (QoS 1: at most --window unacknowledged per connection; QoS 0: while the socket
 * accepts data); --rate R paces sends at R messages per second.
 *
 * sub: one connection; prints READY once subscribed, then counts every message: distinct sequence
 * numbers, duplicates, and the latency (receive time minus send time) of the first copy of each.
 * Ends when all N arrived, when nothing arrived for --idle-ms, or at --timeout-s.
 *
 * Both print one JSON object on stdout at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char) (v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static const char *opt(int argc, char **argv, const char *name, const char *def) {
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    }
    return def;
}

static long iopt(int argc, char **argv, const char *name, long def) {
    const char *v = opt(argc, argv, name, NULL);
    return v ? atol(v) : def;
}

static void die(const char *what) {
    fprintf(stderr, "mqttload: %s: %s\n", what, errno ? strerror(errno) : "protocol error");
    exit(2);
}

/* ------------------------------------------------------------------ byte buffers and MQTT encoding */

typedef struct {
    unsigned char *data;
    size_t len, cap, off; /* off: consumed prefix (read buffers) or written prefix (write buffers) */
} buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    if (b->off > 0) { /* compact */
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->len + extra <= b->cap) return;
    }
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + extra) cap *= 2;
    b->data = realloc(b->data, cap);
    if (!b->data) die("out of memory");
    b->cap = cap;
}

static void put_byte(buf_t *b, unsigned char c) { b->data[b->len++] = c; }

static void put_u16(buf_t *b, unsigned v) {
    put_byte(b, (unsigned char) (v >> 8));
    put_byte(b, (unsigned char) v);
}

static void put_str(buf_t *b, const char *s, size_t n) {
    put_u16(b, (unsigned) n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void put_remaining(buf_t *b, size_t n) {
    do {
        unsigned char c = n % 128;
        n /= 128;
        if (n) c |= 128;
        put_byte(b, c);
    } while (n);
}

static void put_connect(buf_t *b, const char *client_id) {
    size_t id = strlen(client_id);
    buf_reserve(b, 32 + id);
    put_byte(b, 0x10);
    put_remaining(b, 10 + 2 + id);
    put_str(b, "MQTT", 4);
    put_byte(b, 4);    /* protocol level 3.1.1 */
    put_byte(b, 0x02); /* clean session */
    put_u16(b, 0);     /* keep-alive off: runs are short and busy */
    put_str(b, client_id, id);
}

/* Flushes what it can; returns 1 if everything was written, 0 if the socket is full. */
static int flush_buf(int fd, buf_t *b) {
    while (b->off < b->len) {
        ssize_t n = send(fd, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            die("send");
        }
        b->off += (size_t) n;
    }
    b->off = b->len = 0;
    return 1;
}

/* Reads what is available; returns 0 on EOF. */
static int fill_buf(int fd, buf_t *b) {
    for (;;) {
        buf_reserve(b, 65536);
        ssize_t n = recv(fd, b->data + b->len, b->cap - b->len, 0);
        if (n > 0) {
            b->len += (size_t) n;
            if ((size_t) n < 65536) return 1;
            continue;
        }
        if (n == 0) return 0;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
        if (errno == EINTR) continue;
        die("recv");
    }
}

/* Parses one packet at b->off if complete: sets type byte, body and body length; returns 1. */
static int next_packet(buf_t *b, unsigned char *type, unsigned char **body, size_t *body_len) {
    size_t avail = b->len - b->off;
    if (avail < 2) return 0;
    unsigned char *p = b->data + b->off;
    size_t remaining = 0, mult = 1, i = 1;
    for (;; i++) {
        if (i >= avail) return 0;
        remaining += (p[i] & 127) * mult;
        mult *= 128;
        if (!(p[i] & 128)) break;
        if (i > 4) die("malformed remaining length");
    }
    if (avail < i + 1 + remaining) return 0;
    *type = p[0];
    *body = p + i + 1;
    *body_len = remaining;
    b->off += i + 1 + remaining;
    if (b->off == b->len) b->off = b->len = 0;
    return 1;
}

static int dial(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) die("bad host (use an IPv4 address)");
    if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0) die("connect");
    return fd;
}

/* Blocking: send CONNECT, wait for CONNACK; then switch the socket to non-blocking. */
static void mqtt_connect(int fd, const char *client_id, buf_t *in) {
    buf_t out = {0};
    put_connect(&out, client_id);
    if (send(fd, out.data, out.len, MSG_NOSIGNAL) != (ssize_t) out.len) die("send CONNECT");
    free(out.data);
    unsigned char type, *body;
    size_t len;
    while (!next_packet(in, &type, &body, &len)) {
        buf_reserve(in, 4096);
        ssize_t n = recv(fd, in->data + in->len, in->cap - in->len, 0);
        if (n <= 0) die("waiting for CONNACK");
        in->len += (size_t) n;
    }
    if ((type >> 4) != 2 || len < 2 || body[1] != 0) {
        fprintf(stderr, "mqttload: connection refused (CONNACK return code %d)\n", len >= 2 ? body[1] : -1);
        exit(2);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* ------------------------------------------------------------------ publisher */

typedef struct {
    int fd;
    int outstanding;
    unsigned next_id;
    int want_out;
    buf_t in, out;
} conn_t;

static int cmd_pub(int argc, char **argv) {
    const char *host = opt(argc, argv, "--host", "127.0.0.1");
    int port = (int) iopt(argc, argv, "--port", 1883);
    long count = iopt(argc, argv, "--count", 200000);
    int size = (int) iopt(argc, argv, "--size", 256);
    int qos = (int) iopt(argc, argv, "--qos", 1);
    long rate = iopt(argc, argv, "--rate", 0);
    int devices = (int) iopt(argc, argv, "--devices", 100);
    int nconns = (int) iopt(argc, argv, "--conns", 100);
    int window = (int) iopt(argc, argv, "--window", 20);
    const char *prefix = opt(argc, argv, "--prefix", "sensors");
    const char *suffix = opt(argc, argv, "--suffix", "telemetry");
    if (size < 16) size = 16;
    if (nconns > devices) nconns = devices;
    if (window > 60000) window = 60000;

    char **topics = calloc((size_t) devices, sizeof(char *));
    size_t *topic_len = calloc((size_t) devices, sizeof(size_t));
    for (int d = 0; d < devices; d++) {
        if (asprintf(&topics[d], "%s/dev%d/%s", prefix, d, suffix) < 0) exit(2);
        topic_len[d] = strlen(topics[d]);
    }
    conn_t *conns = calloc((size_t) nconns, sizeof(conn_t));
    int ep = epoll_create1(0);
    for (int i = 0; i < nconns; i++) {
        char id[64];
        snprintf(id, sizeof id, "load-%d-%d", (int) getpid(), i);
        conns[i].fd = dial(host, port);
        mqtt_connect(conns[i].fd, id, &conns[i].in);
        conns[i].next_id = 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t) i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }

    unsigned char *padding = malloc((size_t) size);
    memset(padding, 'x', (size_t) size);
    uint64_t start = now_ns();
    long sent = 0, acked = 0;
    struct epoll_event events[256];
    while (sent < count || (qos > 0 && acked < sent)) {
        long allowed = count;
        if (rate > 0) {
            allowed = (long) ((double) (now_ns() - start) * (double) rate / 1e9) + 1;
            if (allowed > count) allowed = count;
        }
        /* Build packets into per-connection buffers while windows allow. */
        int blocked = 0;
        while (sent < allowed) {
            int d = (int) (sent % devices);
            conn_t *c = &conns[d % nconns];
            if ((qos > 0 && c->outstanding >= window) || (qos == 0 && c->out.len - c->out.off > 1 << 20)) {
                blocked = 1; /* wait for acknowledgements or a writable socket */
                break;
            }
            size_t remaining = 2 + topic_len[d] + (qos > 0 ? 2 : 0) + (size_t) size;
            buf_reserve(&c->out, remaining + 5);
            put_byte(&c->out, (unsigned char) (0x30 | (qos << 1)));
            put_remaining(&c->out, remaining);
            put_str(&c->out, topics[d], topic_len[d]);
            if (qos > 0) {
                put_u16(&c->out, c->next_id);
                c->next_id = c->next_id == 65535 ? 1 : c->next_id + 1;
                c->outstanding++;
            }
            unsigned char *p = c->out.data + c->out.len;
            memcpy(p, padding, (size_t) size);
            put_u64(p, (uint64_t) sent);
            put_u64(p + 8, now_ns());
            c->out.len += (size_t) size;
            sent++;
        }
        for (int i = 0; i < nconns; i++) {
            conn_t *c = &conns[i];
            int pending = c->out.len > c->out.off && !flush_buf(c->fd, &c->out);
            if (pending != c->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | (pending ? EPOLLOUT : 0), .data.u32 = (uint32_t) i};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = pending;
            }
        }
        int timeout = (sent < allowed && !blocked) ? 0 : (rate > 0 && sent < count && !blocked ? 1 : 5);
        int n = epoll_wait(ep, events, 256, timeout);
        for (int k = 0; k < n; k++) {
            conn_t *c = &conns[events[k].data.u32];
            if (events[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                if (!fill_buf(c->fd, &c->in)) die("broker closed the connection");
                unsigned char type, *body;
                size_t len;
                while (next_packet(&c->in, &type, &body, &len)) {
                    if ((type >> 4) == 4) { /* PUBACK */
                        c->outstanding--;
                        acked++;
                    }
                }
            }
        }
    }
    uint64_t end = now_ns();
    for (int i = 0; i < nconns; i++) {
        unsigned char disconnect[2] = {0xE0, 0};
        send(conns[i].fd, disconnect, 2, MSG_NOSIGNAL);
        close(conns[i].fd);
    }
    printf("{\"sent\": %ld, \"acked\": %ld, \"start_ns\": %llu, \"end_ns\": %llu, \"seconds\": %.3f}\n", sent,
           qos > 0 ? acked : sent, (unsigned long long) start, (unsigned long long) end, (double) (end - start) / 1e9);
    return 0;
}

/* ------------------------------------------------------------------ subscriber */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

static int cmd_sub(int argc, char **argv) {
    const char *host = opt(argc, argv, "--host", "127.0.0.1");
    int port = (int) iopt(argc, argv, "--port", 1883);
    const char *topic = opt(argc, argv, "--topic", "#");
    int qos = (int) iopt(argc, argv, "--qos", 1);
    long idle_ms = iopt(argc, argv, "--idle-ms", 5000);
    long timeout_s = iopt(argc, argv, "--timeout-s", 300);
    long count = iopt(argc, argv, "--count", 200000);
    unsigned char *seen = calloc((size_t) count, 1);
    uint32_t *latency_us = calloc((size_t) count, sizeof(uint32_t));
    long distinct = 0, total = 0, duplicates = 0, foreign = 0;
    uint64_t first_ns = 0, last_ns = 0;

    char id[64];
    snprintf(id, sizeof id, "load-sub-%d", (int) getpid());
    int fd = dial(host, port);
    buf_t in = {0}, out = {0};
    mqtt_connect(fd, id, &in);

    size_t tlen = strlen(topic);
    buf_reserve(&out, tlen + 16);
    put_byte(&out, 0x82);
    put_remaining(&out, 2 + 2 + tlen + 1);
    put_u16(&out, 1);
    put_str(&out, topic, tlen);
    put_byte(&out, (unsigned char) qos);
    while (!flush_buf(fd, &out)) { }

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0}, events[4];
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    int subscribed = 0, want_out = 0;
    uint64_t started = now_ns();
    for (;;) {
        int n = epoll_wait(ep, events, 4, 10);
        if (n > 0 && (events[0].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
            if (!fill_buf(fd, &in)) die("broker closed the connection");
            uint64_t t = now_ns();
            unsigned char type, *body;
            size_t len;
            while (next_packet(&in, &type, &body, &len)) {
                int kind = type >> 4;
                if (kind == 9 && !subscribed) { /* SUBACK */
                    subscribed = 1;
                    printf("READY\n");
                    fflush(stdout);
                    continue;
                }
                if (kind != 3) continue; /* only PUBLISH from here on */
                int mqos = (type >> 1) & 3;
                size_t topic_len = ((size_t) body[0] << 8) | body[1];
                size_t header = 2 + topic_len + (mqos > 0 ? 2 : 0);
                if (mqos > 0) { /* PUBACK (QoS 1) or PUBREC (QoS 2) with the packet id */
                    buf_reserve(&out, 4);
                    put_byte(&out, mqos == 1 ? 0x40 : 0x50);
                    put_byte(&out, 2);
                    put_byte(&out, body[header - 2]);
                    put_byte(&out, body[header - 1]);
                }
                total++;
                if (len < header + 16) {
                    foreign++;
                    continue;
                }
                uint64_t seq = get_u64(body + header);
                uint64_t sent = get_u64(body + header + 8);
                if (seq >= (uint64_t) count) {
                    foreign++;
                    continue;
                }
                if (first_ns == 0) first_ns = t;
                last_ns = t;
                if (seen[seq]) {
                    duplicates++;
                    continue;
                }
                seen[seq] = 1;
                uint64_t lat = t > sent ? (t - sent) / 1000 : 0;
                latency_us[distinct++] = lat > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t) lat;
            }
        }
        int pending = out.len > out.off && !flush_buf(fd, &out);
        if (pending != want_out) {
            struct epoll_event mod = {.events = EPOLLIN | (pending ? EPOLLOUT : 0), .data.u32 = 0};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &mod);
            want_out = pending;
        }
        uint64_t t = now_ns();
        if (distinct >= count) break;
        if (last_ns != 0 && (t - last_ns) / 1000000ull > (uint64_t) idle_ms) break;
        if (last_ns == 0 && subscribed && (t - started) / 1000000000ull > (uint64_t) timeout_s) break;
        if ((t - started) / 1000000000ull > (uint64_t) timeout_s + 60) break;
    }
    /* Stay a little longer to catch duplicates still on their way. */
    uint64_t settle = now_ns();
    while (now_ns() - settle < 300000000ull) {
        if (epoll_wait(ep, events, 4, 10) > 0 && fill_buf(fd, &in)) {
            unsigned char type, *body;
            size_t len;
            while (next_packet(&in, &type, &body, &len)) {
                if ((type >> 4) != 3) continue;
                int mqos = (type >> 1) & 3;
                size_t header = 2 + (((size_t) body[0] << 8) | body[1]) + (mqos > 0 ? 2 : 0);
                if (mqos > 0) {
                    buf_reserve(&out, 4);
                    put_byte(&out, mqos == 1 ? 0x40 : 0x50);
                    put_byte(&out, 2);
                    put_byte(&out, body[header - 2]);
                    put_byte(&out, body[header - 1]);
                }
                total++;
                if (len >= header + 16) {
                    uint64_t seq = get_u64(body + header);
                    if (seq < (uint64_t) count && seen[seq]) duplicates++;
                }
            }
            flush_buf(fd, &out);
        }
    }
    unsigned char disconnect[2] = {0xE0, 0};
    send(fd, disconnect, 2, MSG_NOSIGNAL);
    close(fd);

    qsort(latency_us, (size_t) distinct, sizeof(uint32_t), cmp_u32);
    double p50 = 0, p99 = 0, max = 0;
    if (distinct > 0) {
        p50 = latency_us[(size_t) ((distinct - 1) * 0.50)] / 1000.0;
        p99 = latency_us[(size_t) ((distinct - 1) * 0.99)] / 1000.0;
        max = latency_us[distinct - 1] / 1000.0;
    }
    printf("{\"received\": %ld, \"distinct\": %ld, \"duplicates\": %ld, \"lost\": %ld, \"foreign\": %ld, "
           "\"first_ns\": %llu, \"last_ns\": %llu, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}\n",
           total, distinct, duplicates, count - distinct, foreign, (unsigned long long) first_ns,
           (unsigned long long) last_ns, p50, p99, max);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: mqttload pub|sub [options]\n");
        return 2;
    }
    if (strcmp(argv[1], "pub") == 0) return cmd_pub(argc, argv);
    if (strcmp(argv[1], "sub") == 0) return cmd_sub(argc, argv);
    fprintf(stderr, "mqttload: unknown command %s\n", argv[1]);
    return 2;
}
