#!/usr/bin/env python3
"""Independent Kafka client for ToxWatch's end-to-end tests (Python confluent-kafka).

It drives toxd from the outside and reads back what toxd published, so the tests never check
the worker with the worker's own Kafka code.

  driver.py generate --patients N --events-per-patient M --poison K --seed S --out FILE
  driver.py generate --profile crs --patients N --poison K --seed S --out FILE
  driver.py produce --bootstrap B --file FILE [--rate EVENTS_PER_S]
  driver.py collect --bootstrap B --topics T[,T…] --out FILE
  driver.py committed --bootstrap B --group G --topics T[,T…] --partitions P

Records are JSON lines {"topic", "key", "value"} (value is the raw text, so poison can be any
bytes); collected records add "partition", "offset" and "headers".
"""
import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone

from confluent_kafka import Consumer, Producer, TopicPartition

TOPIC_OF = {
    "patient": "cart.patient.v1",
    "vitals": "cart.vitals.v1",
    "neuro": "cart.neuro.v1",
    "lab": "cart.labs.v1",
    "finding": "cart.labs.v1",
    "medication": "cart.meds.v1",
}


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


CRS_KINDS = ["crs4", "crs3", "crs2", "crs1", "icans"]


def crs_course(rng, pid, infused, kind):
    """One 36 h course of `kind`, hourly vitals, neuro every 4 h, labs every 12 h: grade-4 CRS with
    norepinephrine from h10, BiPAP from h20 and epinephrine from h22, still on all three at h36
    (the course ends at grade 4); grade 3 on one pressor and high-flow oxygen; grade 2 on low-flow oxygen; fever
    alone; or fever with ICANS (ICE falling to 2, a patient of 12 or older)."""
    age = 14 if kind == "icans" else rng.choice([3, 6, 9, 12, 15, 17])
    weight = round(max(12.0, min(80.0, 3.5 * age + rng.uniform(4, 12))), 1)
    events = [{
        "type": "patient", "eventId": f"{pid}-adm", "patientId": pid, "occurredAt": iso(infused),
        "ageYears": age, "weightKg": weight, "allergies": [],
        "infusion": {"product": "tisagenlecleucel", "target": "CD19", "infusedAt": iso(infused)},
        "protocol": "childrens-national", "site": rng.choice(["north", "south"]),
    }]
    fever_from, fever_to = {"crs4": (4, 30), "crs3": (5, 28), "crs2": (6, 24), "crs1": (6, 20), "icans": (6, 20)}[kind]

    def event(hour, kind_, **fields):
        events.append({"type": kind_, "eventId": f"{pid}-{len(events)}", "patientId": pid,
                       "occurredAt": iso(infused + timedelta(hours=hour)), **fields})

    for hour in range(1, 37):
        febrile = fever_from <= hour < fever_to
        oxygen = {"device": "room-air"}
        systolic = rng.randrange(96, 120)
        if kind == "crs4":
            if 8 <= hour:
                systolic = rng.randrange(72, 86)
            if 20 <= hour:
                oxygen = {"device": "bipap"}
            elif 12 <= hour:
                oxygen = {"device": "high-flow-nasal-cannula", "flowLPerMin": 20}
        elif kind == "crs3":
            if 8 <= hour < 26:
                systolic = rng.randrange(74, 88)
            if 12 <= hour < 24:
                oxygen = {"device": "high-flow-nasal-cannula", "flowLPerMin": 15}
        elif kind == "crs2" and 10 <= hour < 20:
            oxygen = {"device": "low-flow-nasal-cannula", "flowLPerMin": rng.choice([1, 2, 3])}
        event(hour, "vitals", temperatureC=round(rng.uniform(38.3, 39.6) if febrile else rng.uniform(36.5, 37.5), 1),
              systolicBP=systolic, heartRate=rng.randrange(90, 150), oxygen=oxygen)
        if hour % 4 == 0:
            if age >= 12:
                ice = 10
                if kind == "icans":
                    ice = {8: 7, 12: 4, 16: 2, 20: 5, 24: 8}.get(hour, 10)
                event(hour, "neuro", iceScore=ice, consciousness="awake" if ice > 2 else "awakens-to-voice")
            else:
                event(hour, "neuro", capdScore=rng.choice([0, 2, 4]), consciousness="awake")
        if hour % 12 == 0:
            event(hour, "lab", test="ferritin", unit="ng/mL", value=rng.randrange(500, 9000))
    medications = {
        "crs4": [(9, "tocilizumab", "administered"), (10, "norepinephrine", "infusion-started"),
                 (12, "dexamethasone", "administered"), (22, "epinephrine", "infusion-started")],
        "crs3": [(9, "tocilizumab", "administered"), (10, "norepinephrine", "infusion-started"),
                 (26, "norepinephrine", "infusion-stopped")],
        "crs2": [(11, "tocilizumab", "administered")],
        "crs1": [(8, "acetaminophen", "administered")],
        "icans": [(12, "dexamethasone", "administered")],
    }[kind]
    for hour, drug, action in medications:
        fields = {"drug": drug, "action": action, "route": "IV"}
        if action == "administered":
            fields["doseMg"] = round(weight * {"tocilizumab": 8, "dexamethasone": 0.3, "acetaminophen": 15}[drug])
        event(hour, "medication", **fields)
    return events


def generate(args):
    if args.profile == "crs":
        return generate_crs(args)
    return generate_mixed(args)


def generate_crs(args):
    """Deterministic CRS and ICANS courses (see crs_course), one grade-4 course in eight; the
    records in event time over all patients, each line with its event time in "at"."""
    rng = random.Random(args.seed)
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    records = []
    for index in range(args.patients):
        pid = f"E2E-{args.seed}-{index:05d}"
        kind = "crs4" if index % 8 == 0 else rng.choice(CRS_KINDS[1:])
        infused = start + timedelta(minutes=10 * rng.randrange(0, 36))
        for event in crs_course(rng, pid, infused, kind):
            records.append({"topic": TOPIC_OF[event["type"]], "key": pid, "value": json.dumps(event, sort_keys=True),
                            "at": event["occurredAt"]})
    records.sort(key=lambda record: record["at"])
    for index in range(args.poison):
        pid = f"E2E-{args.seed}-{rng.randrange(args.patients):05d}"
        value = json.dumps({"type": "vitals", "eventId": f"poison-{index}", "patientId": pid,
                            "occurredAt": "2026-03-02T10:00:00Z", "temperatureC": 61})
        position = rng.randrange(len(records) + 1)
        at = records[min(position, len(records) - 1)]["at"]
        records.insert(position, {"topic": "cart.vitals.v1", "key": pid, "value": value, "poison": True, "at": at})
    with open(args.out, "w") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    print(json.dumps({"records": len(records), "poison": args.poison, "patients": args.patients}))


def generate_mixed(args):
    """Deterministic, valid courses: an admission, then vitals every 2 h, neuro every 8 h, labs
    every 12 h and the odd medication; some patients develop fever, hypotension and oxygen need."""
    rng = random.Random(args.seed)
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    records = []
    for index in range(args.patients):
        pid = f"E2E-{args.seed}-{index:05d}"
        infused = start + timedelta(minutes=rng.randrange(0, 24 * 60))
        age = rng.choice([0.8, 3, 6, 9, 12, 15, 17, 22])
        weight = round(max(8.0, min(95.0, 3.5 * age + rng.uniform(4, 12))), 1)
        severity = rng.random()
        events = [{
            "type": "patient", "eventId": f"{pid}-adm", "patientId": pid, "occurredAt": iso(infused),
            "ageYears": age, "weightKg": weight, "allergies": [],
            "infusion": {"product": "tisagenlecleucel", "target": "CD19", "infusedAt": iso(infused)},
            "protocol": "childrens-national", "site": rng.choice(["north", "south"]),
        }]
        moment = infused
        for n in range(1, args.events_per_patient):
            moment += timedelta(minutes=rng.randrange(40, 140))
            hours = (moment - infused).total_seconds() / 3600
            sick = severity > 0.5 and 18 < hours < 60
            kind = rng.choices(["vitals", "neuro", "lab", "medication"], [6, 2, 2, 1])[0]
            event = {"eventId": f"{pid}-{n}", "patientId": pid, "occurredAt": iso(moment), "type": kind}
            if kind == "vitals":
                event["temperatureC"] = round(rng.uniform(38.1, 39.8) if sick else rng.uniform(36.4, 37.6), 1)
                event["systolicBP"] = rng.randrange(70, 90) if sick and severity > 0.8 else rng.randrange(95, 125)
                event["heartRate"] = rng.randrange(80, 150)
                event["oxygen"] = ({"device": "low-flow-nasal-cannula", "flowLPerMin": rng.choice([1, 2, 3, 4])}
                                   if sick and severity > 0.7 else {"device": "room-air"})
            elif kind == "neuro":
                if age >= 12:
                    event["iceScore"] = rng.choice([10, 10, 9, 8]) if not sick else rng.choice([9, 7, 6])
                else:
                    event["capdScore"] = rng.choice([0, 2, 4]) if not sick else rng.choice([4, 8, 10])
                event["consciousness"] = "awake"
            elif kind == "lab":
                test, unit, value = rng.choice([
                    ("ferritin", "ng/mL", rng.randrange(200, 9000)),
                    ("crp", "mg/L", rng.randrange(1, 250)),
                    ("platelets", "10*3/uL", rng.randrange(20, 300)),
                    ("fibrinogen", "mg/dL", rng.randrange(120, 400)),
                ])
                event.update({"test": test, "unit": unit, "value": value})
            else:
                drug = "acetaminophen" if not sick else rng.choice(["acetaminophen", "tocilizumab"])
                event.update({"drug": drug, "action": "administered", "route": "IV" if drug == "tocilizumab" else "PO",
                              "doseMg": round(weight * (8 if drug == "tocilizumab" else 15))})
            events.append(event)
        for event in events:
            records.append({"topic": TOPIC_OF[event["type"]], "key": pid, "value": json.dumps(event, sort_keys=True)})
    # Poison: broken JSON, impossible values and wrong keys, spread over the patient topics.
    for index in range(args.poison):
        pid = f"E2E-{args.seed}-{rng.randrange(args.patients):05d}"
        kind = index % 3
        if kind == 0:
            value = '{"type": "vitals", "eventId": '
        elif kind == 1:
            value = json.dumps({"type": "vitals", "eventId": f"poison-{index}", "patientId": pid,
                                "occurredAt": "2026-03-02T10:00:00Z", "temperatureC": 61})
        else:
            value = json.dumps({"type": "lab", "eventId": f"poison-{index}", "patientId": pid,
                                "occurredAt": "2026-03-02T10:00:00Z", "test": "ferritin", "value": 10, "unit": "furlongs"})
        records.insert(rng.randrange(len(records) + 1), {"topic": "cart.labs.v1" if kind == 2 else "cart.vitals.v1", "key": pid, "value": value, "poison": True})
    with open(args.out, "w") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    print(json.dumps({"records": len(records), "poison": args.poison, "patients": args.patients}))


def produce(args):
    # murmur2_random: Kafka's Java default, which every producer to the patient topics must use.
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "linger.ms": 5,
                         "partitioner": "murmur2_random"})
    failures = []
    count = 0
    started = time.monotonic()
    with open(args.file) as lines:
        for line in lines:
            record = json.loads(line)
            while True:
                try:
                    producer.produce(record["topic"], key=record["key"].encode(), value=record["value"].encode(),
                                     on_delivery=lambda err, msg: failures.append(str(err)) if err else None)
                    break
                except BufferError:
                    producer.poll(0.1)
            count += 1
            if args.rate:
                target = started + count / args.rate
                while time.monotonic() < target:
                    producer.poll(0.001)
            producer.poll(0)
    remaining = producer.flush(60)
    if failures or remaining:
        print(json.dumps({"produced": count, "failures": failures[:5], "undelivered": remaining}))
        sys.exit(1)
    print(json.dumps({"produced": count}))


def collect(args):
    """Reads every partition of the topics from the beginning up to the end offsets at call time."""
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "e2e-collector", "enable.auto.commit": False,
                         "enable.partition.eof": True, "isolation.level": "read_uncommitted"})
    assignment = []
    ends = {}
    for topic in args.topics.split(","):
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        for partition in metadata.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high > low:
                ends[(topic, partition)] = high
                assignment.append(TopicPartition(topic, partition, low))
    consumer.assign(assignment)
    pending = set(ends)
    deadline = time.monotonic() + 120
    with open(args.out, "w") as out:
        while pending and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            key = (message.topic(), message.partition())
            if message.error():
                continue
            headers = {name: (value.decode() if value is not None else None) for name, value in (message.headers() or [])}
            out.write(json.dumps({
                "topic": message.topic(), "partition": message.partition(), "offset": message.offset(),
                "key": message.key().decode() if message.key() else None,
                "value": message.value().decode("utf-8", "replace") if message.value() is not None else None,
                "headers": headers,
            }) + "\n")
            if message.offset() + 1 >= ends[key]:
                pending.discard(key)
    consumer.close()
    if pending:
        print(json.dumps({"unfinished": sorted(f"{t}[{p}]" for t, p in pending)}))
        sys.exit(1)
    print(json.dumps({"partitions": len(ends)}))


def committed(args):
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False})
    partitions = [TopicPartition(t, p) for t in args.topics.split(",") for p in range(args.partitions)]
    result = {}
    for tp in consumer.committed(partitions, timeout=10):
        result[f"{tp.topic}[{tp.partition}]"] = tp.offset
    consumer.close()
    print(json.dumps(result, sort_keys=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("generate")
    g.add_argument("--patients", type=int, required=True)
    g.add_argument("--events-per-patient", type=int, default=20)
    g.add_argument("--poison", type=int, default=0)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--profile", choices=["mixed", "crs"], default="mixed")
    g.add_argument("--out", required=True)
    p = commands.add_parser("produce")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--rate", type=float, default=0)
    c = commands.add_parser("collect")
    c.add_argument("--bootstrap", required=True)
    c.add_argument("--topics", required=True)
    c.add_argument("--out", required=True)
    k = commands.add_parser("committed")
    k.add_argument("--bootstrap", required=True)
    k.add_argument("--group", required=True)
    k.add_argument("--topics", required=True)
    k.add_argument("--partitions", type=int, required=True)
    args = parser.parse_args()
    {"generate": generate, "produce": produce, "collect": collect, "committed": committed}[args.command](args)


if __name__ == "__main__":
    main()
