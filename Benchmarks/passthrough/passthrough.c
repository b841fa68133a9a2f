/*
 * The raw librdkafka baseline of Scripts/bench: consume -> produce pass-through with no decoding.
 *
 *   passthrough BOOTSTRAP IN_TOPICS(comma-separated) PARTITIONS EXPECTED OUT_TOPIC
 *
 * Reads every partition of the input topics from the beginning (assign, no rebalance), produces
 * each message's key and value unchanged to the same partition number of OUT_TOPIC with an
 * idempotent producer (acks=all), stores the offsets for librdkafka's background commit, and stops
 * once EXPECTED messages are delivered. Prints {"messages", "seconds", "eventsPerSec"} measured
 * from the first message consumed to the last delivery report. Same consumer prefetch settings as
 * the worker's KafkaClient (fetch.wait.max.ms 100, a byte-bounded prefetch).
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long delivered = 0;
static long failed = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk;
    (void)opaque;
    if (message->err) failed++;
    else delivered++;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char error[512];
    if (rd_kafka_conf_set(conf, key, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "passthrough: %s=%s: %s\n", key, value, error);
        exit(2);
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: passthrough BOOTSTRAP IN_TOPICS PARTITIONS EXPECTED OUT_TOPIC\n");
        return 2;
    }
    const char *bootstrap = argv[1];
    char *topics = strdup(argv[2]);
    int partitions = atoi(argv[3]);
    long expected = atol(argv[4]);
    const char *out_topic = argv[5];
    char error[512];

    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    set(pconf, "bootstrap.servers", bootstrap);
    set(pconf, "enable.idempotence", "true");
    set(pconf, "linger.ms", "5");
    set(pconf, "batch.num.messages", "10000");
    set(pconf, "queue.buffering.max.messages", "1000000");
    rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, error, sizeof error);
    if (!producer) { fprintf(stderr, "passthrough: producer: %s\n", error); return 2; }

    rd_kafka_conf_t *cconf = rd_kafka_conf_new();
    set(cconf, "bootstrap.servers", bootstrap);
    set(cconf, "group.id", "bench-passthrough");
    set(cconf, "enable.auto.commit", "true");
    set(cconf, "auto.commit.interval.ms", "200");
    set(cconf, "enable.auto.offset.store", "true");
    set(cconf, "queued.max.messages.kbytes", "16384");
    set(cconf, "fetch.wait.max.ms", "100");
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, error, sizeof error);
    if (!consumer) { fprintf(stderr, "passthrough: consumer: %s\n", error); return 2; }
    rd_kafka_poll_set_consumer(consumer);

    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions * 8);
    for (char *topic = strtok(topics, ","); topic; topic = strtok(NULL, ",")) {
        for (int p = 0; p < partitions; p++)
            rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(consumer, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) { fprintf(stderr, "passthrough: assign: %s\n", rd_kafka_err2str(err)); return 2; }

    rd_kafka_topic_t *out = rd_kafka_topic_new(producer, out_topic, NULL);
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(consumer);
    rd_kafka_message_t *batch[1000];
    long consumed = 0;
    double started = 0;
    double deadline = now_seconds() + 600;
    while (consumed < expected && now_seconds() < deadline) {
        ssize_t count = rd_kafka_consume_batch_queue(queue, 100, batch, 1000);
        for (ssize_t i = 0; i < count; i++) {
            rd_kafka_message_t *message = batch[i];
            if (!message->err) {
                if (consumed == 0) started = now_seconds();
                consumed++;
                while (rd_kafka_produce(out, message->partition, RD_KAFKA_MSG_F_COPY, message->payload, message->len,
                                        message->key, message->key_len, NULL) == -1) {
                    rd_kafka_poll(producer, 10); /* queue full: serve delivery reports */
                }
            }
            rd_kafka_message_destroy(message);
        }
        rd_kafka_poll(producer, 0);
    }
    while (delivered + failed < consumed && now_seconds() < deadline) rd_kafka_poll(producer, 10);
    double seconds = now_seconds() - started;
    rd_kafka_commit(consumer, NULL, 0);
    printf("{\"messages\": %ld, \"failed\": %ld, \"seconds\": %.3f, \"eventsPerSec\": %.1f}\n", delivered, failed,
           seconds, delivered / seconds);
    rd_kafka_queue_destroy(queue);
    rd_kafka_topic_destroy(out);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    rd_kafka_destroy(producer);
    free(topics);
    return (consumed >= expected && failed == 0) ? 0 : 1;
}
