#!/usr/bin/env python3
"""Load generation and measurement for Scripts/bench (an independent client: Python confluent-kafka).

  bench.py course --out FILE                         one patient's 72-hour course (toxctl evaluate input)
  bench.py generate --patients N --events M --out F  N patients x M events, JSON lines {topic,key,value}
  bench.py admissions --patients N --out F           N admission (patient) events, one per patient
  bench.py produce --bootstrap B --file F            produces a file as fast as the broker takes it
  bench.py wait-committed --bootstrap B --group G --partitions P --total N [--health URL] --timeout S
        [waits for the worker to be ready, then] waits until the group has committed N inputs; prints
        the time from its start (or readiness) and the rate over the inputs committed meanwhile
  bench.py latency --bootstrap B --file F --rate R --samples OUT
        produces F at R events/s while reading the output topics; writes one latency (microseconds,
        produce call -> output readable by this client) per input that caused an output

Percentiles are NOT computed here: Scripts/bench feeds the samples to an HdrHistogram (Swift).
"""
import argparse
import json
import math
import multiprocessing
import random
import sys
import time
import urllib.request
import zlib
from datetime import datetime, timedelta, timezone

from confluent_kafka import Consumer, Producer, TopicPartition

TOPIC_OF = {
    "patient": "cart.patient.v1",
    "vitals": "cart.vitals.v1",
    "neuro": "cart.neuro.v1",
    "lab": "cart.labs.v1",
    "medication": "cart.meds.v1",
}
INPUT_TOPICS = ["cart.patient.v1", "cart.vitals.v1", "cart.neuro.v1", "cart.labs.v1", "cart.meds.v1"]
OUTPUT_TOPICS = ["cart.toxicity-grades.v1", "pharmacy.anakinra-recommendations.v1",
                 "pharmacy.shortage-alternatives.v1", "cart.dlq.v1"]


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def course_events(pid, infused, hours, rng, age=9, weight=28.0, site="main", severe=True, ids_from=0):
    """A realistic course after infusion: admission, hourly vitals, neuro every 4 h, a lab panel every
    12 h, and the treatment a worsening CRS gets (acetaminophen, tocilizumab, dexamethasone,
    norepinephrine, then anakinra every 6 h). `severe` False keeps the patient well (fever only)."""
    events = [{
        "type": "patient", "eventId": f"{pid}-adm", "patientId": pid, "occurredAt": iso(infused),
        "ageYears": age, "weightKg": weight, "heightCm": 132, "allergies": [],
        "infusion": {"product": "tisagenlecleucel", "target": "CD19", "infusedAt": iso(infused)},
        "protocol": "childrens-national", "site": site,
    }]
    n = ids_from

    def add(kind, hour, minute=0, **fields):
        nonlocal n
        n += 1
        moment = infused + timedelta(hours=hour, minutes=minute)
        events.append({"type": kind, "eventId": f"{pid}-{n:04d}", "patientId": pid, "occurredAt": iso(moment), **fields})

    for h in range(1, hours + 1):
        fever = 14 <= h <= 44
        shock = severe and 20 <= h <= 34
        oxygen = severe and 22 <= h <= 44
        temperature = round(rng.uniform(38.3, 39.6) if fever else rng.uniform(36.5, 37.6), 1)
        vitals = {"temperatureC": temperature, "systolicBP": rng.randrange(78, 86) if shock else rng.randrange(96, 118),
                  "heartRate": rng.randrange(120, 160) if fever else rng.randrange(85, 115), "spo2": rng.randrange(93, 99),
                  "respiratoryRate": rng.randrange(18, 34),
                  "oxygen": {"device": "low-flow-nasal-cannula", "flowLPerMin": rng.choice([2, 3, 4])} if oxygen
                  else {"device": "room-air"}}
        add("vitals", h, **vitals)
        if h % 4 == 0:
            capd = rng.choice([4, 6, 8]) if severe and 24 <= h <= 44 else rng.choice([0, 0, 2])
            add("neuro", h, 5, capdScore=capd, consciousness="awake" if capd < 6 else "awakens-spontaneously",
                seizure="none", motorWeakness="none", cerebralEdema="none")
        if h % 12 == 0:
            sick = 14 <= h <= 48
            for test, unit, value in [
                ("ferritin", "ng/mL", rng.randrange(1500, 9000) if sick else rng.randrange(200, 900)),
                ("crp", "mg/L", rng.randrange(60, 250) if sick else rng.randrange(2, 30)),
                ("platelets", "10*3/uL", rng.randrange(40, 120)),
                ("fibrinogen", "mg/dL", rng.randrange(150, 350)),
                ("anc", "10*3/uL", round(rng.uniform(0.3, 2.5), 1)),
                ("creatinine", "mg/dL", round(rng.uniform(0.3, 0.8), 2)),
                ("alt", "U/L", rng.randrange(15, 90)),
            ]:
                add("lab", h, 10, test=test, unit=unit, value=value)
        if h in (14, 20, 26, 32, 38, 44):
            add("medication", h, 30, drug="acetaminophen", action="administered", route="PO", doseMg=round(weight * 15))
        if severe:
            if h == 20:
                add("medication", h, 40, drug="tocilizumab", action="administered", route="IV", doseMg=round(weight * 12))
            if h in (26, 32, 38, 44, 50):
                add("medication", h, 45, drug="dexamethasone", action="administered", route="IV", doseMg=10)
            if h == 26:
                add("medication", h, 50, drug="norepinephrine", action="infusion-started", route="IV")
            if h == 36:
                add("medication", h, 50, drug="norepinephrine", action="infusion-stopped", route="IV")
            if h >= 32 and (h - 32) % 6 == 0:
                add("medication", h, 55, drug="anakinra", action="administered", route="IV", doseMg=round(weight * 2))
    events.sort(key=lambda e: e["occurredAt"])
    return events


def course(args):
    infused = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    events = course_events("BENCH-0001", infused, 72, random.Random(72))
    document = {
        "patient": events[0],
        "events": events[1:],
        "inventory": [
            {"type": "inventory", "eventId": "INV-main-toci", "occurredAt": iso(infused), "site": "main",
             "drug": "tocilizumab", "status": "shortage", "unitsOnHand": 0, "unitMg": 400},
            {"type": "inventory", "eventId": "INV-main-anakinra", "occurredAt": iso(infused), "site": "main",
             "drug": "anakinra", "status": "available", "unitsOnHand": 40, "unitMg": 100},
        ],
    }
    with open(args.out, "w") as out:
        json.dump(document, out, indent=1)
    print(json.dumps({"events": len(events)}))


def write_records(path, records):
    with open(path, "w") as out:
        for record in records:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def generate(args):
    """Interleaves patients the way a ward's feed does: in event time, all patients at once.
    Each patient's course is cut to `events` events; a third are severe."""
    rng = random.Random(args.seed)
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    per_patient = []
    for index in range(args.patients):
        pid = f"{args.prefix}-{index:06d}"
        infused = start + timedelta(minutes=rng.randrange(0, 12 * 60))
        hours = 72
        events = course_events(pid, infused, hours, rng, age=rng.choice([3, 6, 9, 12, 15, 22]),
                               weight=round(rng.uniform(12, 80), 1), site=rng.choice(["north", "south", "main"]),
                               severe=rng.random() < 0.33)
        per_patient.append(events[:args.events])
    merged = sorted((e["occurredAt"], i, j) for i, events in enumerate(per_patient) for j, e in enumerate(events))
    records = []
    for _, i, j in merged:
        event = per_patient[i][j]
        records.append({"topic": TOPIC_OF[event["type"]], "key": event["patientId"],
                        "value": json.dumps(event, separators=(",", ":"))})
    write_records(args.out, records)
    print(json.dumps({"records": len(records), "patients": args.patients}))


def admissions(args):
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    rng = random.Random(args.seed)
    records = []
    for index in range(args.patients):
        pid = f"{args.prefix}-{index:06d}"
        infused = start + timedelta(minutes=index % 720)
        event = {"type": "patient", "eventId": f"{pid}-adm", "patientId": pid, "occurredAt": iso(infused),
                 "ageYears": rng.choice([3, 6, 9, 12, 15, 22]), "weightKg": round(rng.uniform(12, 80), 1),
                 "allergies": [], "infusion": {"product": "tisagenlecleucel", "target": "CD19", "infusedAt": iso(infused)},
                 "protocol": "childrens-national", "site": rng.choice(["north", "south", "main"])}
        records.append({"topic": "cart.patient.v1", "key": pid, "value": json.dumps(event, separators=(",", ":"))})
    write_records(args.out, records)
    print(json.dumps({"records": len(records)}))


def make_producer(bootstrap, linger=20):
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": linger,
                     "batch.num.messages": 10000, "queue.buffering.max.messages": 1000000,
                     "queue.buffering.max.kbytes": 1048576})


def produce(args):
    producer = make_producer(args.bootstrap)
    failures = []

    def report(err, msg):
        if err:
            failures.append(str(err))

    count = 0
    started = time.monotonic()
    with open(args.file) as lines:
        for line in lines:
            record = json.loads(line)
            while True:
                try:
                    producer.produce(record["topic"], key=record["key"].encode(), value=record["value"].encode(),
                                     on_delivery=report)
                    break
                except BufferError:
                    producer.poll(0.05)
            count += 1
            if count % 1000 == 0:
                producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.monotonic() - started
    if failures or remaining:
        print(json.dumps({"produced": count, "failures": failures[:5], "undelivered": remaining}))
        sys.exit(1)
    print(json.dumps({"produced": count, "seconds": round(elapsed, 2)}))


def committed_total(consumer, partitions):
    tps = [TopicPartition(t, p) for t in INPUT_TOPICS for p in range(partitions)]
    return sum(max(0, tp.offset) for tp in consumer.committed(tps, timeout=10))


def health_ready(url, partitions):
    """/health answers 200 once the assigned partitions are restored; before the group assigns any,
    that is vacuously true, so ready here also means every partition is assigned (one worker)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            body = json.loads(response.read())
            return response.status == 200 and len(body.get("partitions", [])) == partitions
    except Exception:
        return False


def wait_committed(args):
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False})
    deadline = time.monotonic() + args.timeout
    while args.health and not health_ready(args.health, args.partitions):
        if time.monotonic() > deadline:
            print(json.dumps({"error": "worker never became ready"}))
            sys.exit(1)
        time.sleep(0.02)
    ready = time.monotonic()
    at_ready = committed_total(consumer, args.partitions)
    done = at_ready
    while done < args.total and time.monotonic() < deadline:
        time.sleep(0.1)
        done = committed_total(consumer, args.partitions)
    finished = time.monotonic()
    consumer.close()
    if done < args.total:
        print(json.dumps({"error": f"committed {done} of {args.total}"}))
        sys.exit(1)
    seconds = finished - ready
    print(json.dumps({"committedAtReady": at_ready, "seconds": round(seconds, 3),
                      "eventsPerSec": round((args.total - at_ready) / seconds, 1)}))


def read_outputs(bootstrap, ready, stop, out_path):
    """Reads every output partition from its end at start; writes "topic partition offset recv_ns"."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-latency-reader", "enable.auto.commit": False,
                         "fetch.wait.max.ms": 5, "fetch.min.bytes": 1, "isolation.level": "read_uncommitted"})
    assignment = []
    for topic in OUTPUT_TOPICS:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        for partition in metadata.partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            assignment.append(TopicPartition(topic, partition, high))
    consumer.assign(assignment)
    consumer.poll(0.2)
    ready.set()
    idle_since = None
    with open(out_path, "w") as out:
        while True:
            messages = consumer.consume(1000, 0.05)
            now = time.time_ns()
            if not messages:
                if stop.is_set():
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 3:
                        break
                continue
            idle_since = None
            for message in messages:
                if message.error():
                    continue
                headers = dict(message.headers() or [])
                topic = headers.get("toxwatch-source-topic")
                if topic is None or topic == b"timer":
                    continue
                out.write(f"{topic.decode()} {int(headers['toxwatch-source-partition'])} "
                          f"{int(headers['toxwatch-source-offset'])} {now}\n")
    consumer.close()


def latency(args):
    ready = multiprocessing.Event()
    stop = multiprocessing.Event()
    reader = multiprocessing.Process(target=read_outputs, args=(args.bootstrap, ready, stop, args.samples + ".out"))
    reader.start()
    ready.wait(30)
    with open(args.file) as lines:
        records = [json.loads(line) for line in lines]
    # linger.ms 1: the producer sends at once; the latency measured is the pipeline's, not ours.
    # Partitions are chosen here (CRC-32 of the key, librdkafka's consistent partitioner), and the
    # broker is fresh, so the k-th record sent to a partition has offset k: no delivery callbacks
    # (which cost this process more CPU than the worker it measures).
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "linger.ms": 1})
    partitions = {}
    for topic in INPUT_TOPICS:
        partitions[topic] = len(producer.list_topics(topic, timeout=10).topics[topic].partitions)
    next_offset = {}
    sent = {}
    begin = time.monotonic()
    count = 0
    total = len(records)
    while count < total:
        now = time.monotonic()
        due = min(total, int((now - begin) * args.rate) + 1)
        if due <= count:
            time.sleep(min(0.001, (count + 1) / args.rate - (now - begin)))
            continue
        stamp = time.time_ns()
        while count < due:
            record = records[count]
            key = record["key"].encode()
            topic = record["topic"]
            partition = zlib.crc32(key) % partitions[topic]
            offset = next_offset.get((topic, partition), 0)
            next_offset[(topic, partition)] = offset + 1
            sent[(topic, partition, offset)] = stamp
            producer.produce(topic, key=key, value=record["value"].encode(), partition=partition)
            count += 1
        producer.poll(0)
    producer.flush(60)
    achieved = len(records) / (time.monotonic() - begin)
    time.sleep(args.drain)
    stop.set()
    reader.join(60)
    samples = 0
    seen = set()
    with open(args.samples + ".out") as received, open(args.samples, "w") as out:
        for line in received:
            topic, partition, offset, recv = line.split()
            key = (topic, int(partition), int(offset))
            if key in seen or key not in sent:
                continue  # one sample per input: the first output it caused
            seen.add(key)
            out.write(f"{max(0, (int(recv) - sent[key]) // 1000)}\n")
            samples += 1
    print(json.dumps({"produced": len(records), "achievedRate": round(achieved, 1), "samples": samples}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("course")
    c.add_argument("--out", required=True)
    g = commands.add_parser("generate")
    g.add_argument("--patients", type=int, required=True)
    g.add_argument("--events", type=int, default=32)
    g.add_argument("--seed", type=int, default=8)
    g.add_argument("--prefix", default="BENCH")
    g.add_argument("--out", required=True)
    a = commands.add_parser("admissions")
    a.add_argument("--patients", type=int, required=True)
    a.add_argument("--seed", type=int, default=9)
    a.add_argument("--prefix", default="RESTORE")
    a.add_argument("--out", required=True)
    p = commands.add_parser("produce")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--file", required=True)
    w = commands.add_parser("wait-committed")
    w.add_argument("--bootstrap", required=True)
    w.add_argument("--group", required=True)
    w.add_argument("--partitions", type=int, required=True)
    w.add_argument("--total", type=int, required=True)
    w.add_argument("--health", default="", help="wait until this /health is ready first (else start now)")
    w.add_argument("--timeout", type=float, default=600)
    l = commands.add_parser("latency")
    l.add_argument("--bootstrap", required=True)
    l.add_argument("--file", required=True)
    l.add_argument("--rate", type=float, required=True)
    l.add_argument("--drain", type=float, default=5)
    l.add_argument("--samples", required=True)
    args = parser.parse_args()
    {"course": course, "generate": generate, "admissions": admissions, "produce": produce,
     "wait-committed": wait_committed, "latency": latency}[args.command](args)


if __name__ == "__main__":
    main()
