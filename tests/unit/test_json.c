/* test_json: the JSON shape of our messages, as `--json` users and the event tap see it.
 * Whole lines are compared where the shape itself is the point (a Task); elsewhere single
 * keys are looked up with json-c so each check says which rule it is about. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "hf_json.h"
#include "hf_test.h"
#include "huifang/v1/wire.pb-c.h"

/* The compact text hf_json_print() writes, without its newline. */
static const char *s_text(json_object *obj)
{
    return json_object_to_json_string_ext(obj,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static json_object *s_get(json_object *obj, const char *key)
{
    json_object *value = NULL;
    return json_object_object_get_ex(obj, key, &value) ? value : NULL;
}

static bool s_has(json_object *obj, const char *key)
{
    return s_get(obj, key) != NULL;
}

static void test_task_shape(void)
{
    Huifang__V1__Task task = HUIFANG__V1__TASK__INIT;
    task.id = 42;
    task.branch = "SH01";
    task.customer_id = 7;
    task.step_no = 2;
    task.purpose = "care";
    task.channel = "phone";
    task.due_at_ms = 1795420800000; /* 2026-11-23T08:00:00Z */
    task.state = "assigned";
    task.customer_name = "张三";
    task.customer_phone = "13812345678";

    /* Every scalar is there, zeros and empty strings included, in .proto order; due_at_ms
     * is due_at as RFC 3339; the Chinese name is written as UTF-8, not escaped. */
    json_object *obj = hf_json_from_message(&task.base);
    CHECK_STR(
        s_text(obj),
        "{\"id\":42,\"branch\":\"SH01\",\"customer_id\":7,\"purchase_id\":0,"
        "\"plan_id\":0,\"step_no\":2,\"purpose\":\"care\",\"channel\":\"phone\","
        "\"role\":\"\",\"due_at\":\"2026-11-23T08:00:00.000Z\",\"state\":\"assigned\","
        "\"agent\":\"\",\"priority\":0,\"attempts\":0,\"customer_name\":\"张三\","
        "\"customer_phone\":\"13812345678\",\"region\":\"\",\"outcome\":\"\","
        "\"bag_date\":\"\",\"claims\":0,\"origin\":\"\",\"reserved_agent\":\"\",\"windows\":\"\","
        "\"rolls\":0,\"skip_reason\":\"\",\"talking_points\":\"\"}");
    json_object_put(obj);

    /* An instant of 0 means "not set": the key is left out, under either name. */
    task.due_at_ms = 0;
    obj = hf_json_from_message(&task.base);
    CHECK(!s_has(obj, "due_at"));
    CHECK(!s_has(obj, "due_at_ms"));
    CHECK(s_has(obj, "priority"));
    json_object_put(obj);

    /* A NULL string (legal in protobuf-c) reads as empty, so the key set stays stable. */
    task.agent = NULL;
    obj = hf_json_from_message(&task.base);
    CHECK_STR(json_object_get_string(s_get(obj, "agent")), "");
    json_object_put(obj);
}

static void test_reply_oneof_and_enum(void)
{
    Huifang__V1__Task a = HUIFANG__V1__TASK__INIT, b = HUIFANG__V1__TASK__INIT;
    a.id = 1;
    b.id = 2;
    b.due_at_ms = -1; /* before 1970 is still an instant, not "unset" */
    Huifang__V1__Task *items[] = {&a, &b};
    Huifang__V1__TaskList list = HUIFANG__V1__TASK_LIST__INIT;
    list.n_tasks = 2;
    list.tasks = items;

    Huifang__V1__Reply reply = HUIFANG__V1__REPLY__INIT;
    reply.request_id = "r-1";
    reply.status = HUIFANG__V1__STATUS__BAD_INPUT;
    reply.error = "phone is 10 digits; a mobile has 11";
    reply.field = "phone";
    reply.result_case = HUIFANG__V1__REPLY__RESULT_TASKS;
    reply.tasks = &list;

    json_object *obj = hf_json_from_message(&reply.base);
    CHECK_STR(json_object_get_string(s_get(obj, "status")), "BAD_INPUT");
    CHECK_STR(json_object_get_string(s_get(obj, "note")), "");
    /* Only the member that is set; every other member of the oneof is absent. */
    json_object *tasks = s_get(obj, "tasks");
    CHECK(tasks != NULL);
    CHECK(!s_has(obj, "ping"));
    CHECK(!s_has(obj, "contact"));
    CHECK(!s_has(obj, "result"));
    json_object *array = s_get(tasks, "tasks");
    CHECK(json_object_is_type(array, json_type_array));
    CHECK_INT(json_object_array_length(array), 2);
    CHECK_INT(json_object_get_int64(s_get(json_object_array_get_idx(array, 1), "id")), 2);
    CHECK(!s_has(json_object_array_get_idx(array, 0), "due_at"));
    CHECK_STR(json_object_get_string(s_get(json_object_array_get_idx(array, 1), "due_at")),
              "1969-12-31T23:59:59.999Z");
    json_object_put(obj);

    /* No member set: no member written. An enum value this build does not know keeps its
     * number rather than vanishing. */
    reply.result_case = HUIFANG__V1__REPLY__RESULT__NOT_SET;
    reply.status = (Huifang__V1__Status)99;
    obj = hf_json_from_message(&reply.base);
    CHECK(!s_has(obj, "tasks"));
    CHECK(json_object_is_type(s_get(obj, "status"), json_type_int));
    CHECK_INT(json_object_get_int(s_get(obj, "status")), 99);
    json_object_put(obj);

    /* OK, the zero value, is still written by name. */
    reply.status = HUIFANG__V1__STATUS__OK;
    obj = hf_json_from_message(&reply.base);
    CHECK_STR(json_object_get_string(s_get(obj, "status")), "OK");
    json_object_put(obj);

    /* An empty repeated field is an empty array, not a missing key. */
    Huifang__V1__TaskList empty = HUIFANG__V1__TASK_LIST__INIT;
    obj = hf_json_from_message(&empty.base);
    CHECK_STR(s_text(obj), "{\"tasks\":[],\"preview\":false,\"loads\":[],\"unplaced\":0}");
    json_object_put(obj);
}

static void test_envelope(void)
{
    Huifang__V1__TaskAssigned assigned = HUIFANG__V1__TASK_ASSIGNED__INIT;
    Huifang__V1__Envelope env = HUIFANG__V1__ENVELOPE__INIT;
    env.event_id = "scheduler:17";
    env.producer = "scheduler";
    env.seq = 17;
    env.occurred_at_ms = 1709210096789;
    env.branch = "SH01";
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED;
    env.task_assigned = &assigned; /* its task left NULL */

    json_object *obj = hf_json_from_message(&env.base);
    CHECK_STR(json_object_get_string(s_get(obj, "occurred_at")), "2024-02-29T12:34:56.789Z");
    CHECK(!s_has(obj, "occurred_at_ms"));
    CHECK_INT(json_object_get_int64(s_get(obj, "seq")), 17);
    /* The payload is there; the unset submessage inside it is not. */
    CHECK_STR(s_text(s_get(obj, "task_assigned")), "{}");
    CHECK(!s_has(obj, "heartbeat"));
    json_object_put(obj);

    /* uint64 is a JSON integer, exact even above INT64_MAX. */
    Huifang__V1__Heartbeat beat = HUIFANG__V1__HEARTBEAT__INIT;
    beat.last_seq = UINT64_MAX;
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_HEARTBEAT;
    env.heartbeat = &beat;
    obj = hf_json_from_message(&env.base);
    CHECK_STR(s_text(s_get(obj, "heartbeat")),
              "{\"last_seq\":18446744073709551615,\"epoch\":\"\"}");
    CHECK(!s_has(obj, "task_assigned"));
    json_object_put(obj);

    /* A set oneof case whose message pointer is NULL is left out, not written as null. */
    env.heartbeat = NULL;
    obj = hf_json_from_message(&env.base);
    CHECK(!s_has(obj, "heartbeat"));
    json_object_put(obj);
}

/* The event tap's form: personal fields masked by message type and field name, the rest
 * as it is; a hand edit's before and after as the field it names. */
static void test_masked(void)
{
    char *phones[] = {"13812345678"};
    Huifang__V1__Customer c = HUIFANG__V1__CUSTOMER__INIT;
    c.id = 7;
    c.name = "Wang Fang";
    c.phone = "13912345678";
    c.address = "Wangjing St 5";
    c.birth = "1980-05-17";
    c.region = "chaoyang";
    c.n_phones = 1;
    c.phones = phones;
    Huifang__V1__FieldChange name_change = HUIFANG__V1__FIELD_CHANGE__INIT;
    name_change.field = "name";
    name_change.from = "Wang Fang";
    name_change.to = "张三丰";
    name_change.actor = "A001";
    Huifang__V1__FieldChange windows_change = HUIFANG__V1__FIELD_CHANGE__INIT;
    windows_change.field = "windows";
    windows_change.from = "18:00-20:00";
    windows_change.to = "";
    Huifang__V1__FieldChange *changes[] = {&name_change, &windows_change};
    Huifang__V1__CustomerUpdated up = HUIFANG__V1__CUSTOMER_UPDATED__INIT;
    up.customer = &c;
    up.change = "fields";
    up.n_changes = 2;
    up.changes = changes;
    Huifang__V1__Envelope env = HUIFANG__V1__ENVELOPE__INIT;
    env.producer = "intake";
    env.branch = "BJ01";
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_CUSTOMER_UPDATED;
    env.customer_updated = &up;

    json_object *obj = hf_json_from_message_masked(&env.base);
    json_object *cu = s_get(s_get(obj, "customer_updated"), "customer");
    CHECK_STR(json_object_get_string(s_get(cu, "name")), "W*** F***");
    CHECK_STR(json_object_get_string(s_get(cu, "phone")), "139****5678");
    CHECK_STR(json_object_get_string(s_get(cu, "address")), "[13 chars]");
    CHECK_STR(json_object_get_string(s_get(cu, "birth")), "1980-**-**");
    CHECK_STR(json_object_get_string(s_get(cu, "region")), "chaoyang");
    CHECK_STR(s_text(s_get(cu, "phones")), "[\"138****5678\"]");
    json_object *ch = s_get(s_get(obj, "customer_updated"), "changes");
    CHECK_STR(s_text(json_object_array_get_idx(ch, 0)),
              "{\"field\":\"name\",\"from\":\"W*** "
              "F***\",\"to\":\"张**\",\"at_ms\":0,\"actor\":\"A001\"}");
    CHECK_STR(
        s_text(json_object_array_get_idx(ch, 1)),
        "{\"field\":\"windows\",\"from\":\"18:00-20:00\",\"to\":\"\",\"at_ms\":0,\"actor\":\"\"}");
    CHECK_STR(json_object_get_string(s_get(obj, "branch")), "BJ01");
    json_object_put(obj);

    /* unmasked, the same message is as it was stored */
    obj = hf_json_from_message(&env.base);
    cu = s_get(s_get(obj, "customer_updated"), "customer");
    CHECK_STR(json_object_get_string(s_get(cu, "name")), "Wang Fang");
    json_object_put(obj);
}

/* The scheduler's batch (tasks_assigned): each task masked as a task_assigned's is. */
static void test_tasks_assigned_masked(void)
{
    Huifang__V1__Task t1 = HUIFANG__V1__TASK__INIT, t2 = HUIFANG__V1__TASK__INIT;
    t1.id = 11;
    t1.agent = "A001";
    t1.customer_name = "Wang Fang";
    t1.customer_phone = "13912345678";
    t2.id = 12;
    t2.agent = "A002";
    t2.customer_name = "张三丰";
    Huifang__V1__Task *tasks[] = {&t1, &t2};
    Huifang__V1__TasksAssigned batch = HUIFANG__V1__TASKS_ASSIGNED__INIT;
    batch.n_tasks = 2;
    batch.tasks = tasks;
    Huifang__V1__TaskAssigned one = HUIFANG__V1__TASK_ASSIGNED__INIT;
    one.task = &t1;
    Huifang__V1__Envelope env = HUIFANG__V1__ENVELOPE__INIT;
    env.producer = "scheduler";
    env.branch = "BJ01";
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_TASKS_ASSIGNED;
    env.tasks_assigned = &batch;

    json_object *obj = hf_json_from_message_masked(&env.base);
    json_object *arr = s_get(s_get(obj, "tasks_assigned"), "tasks");
    CHECK(json_object_is_type(arr, json_type_array));
    CHECK_INT(json_object_array_length(arr), 2);
    json_object *j1 = json_object_array_get_idx(arr, 0), *j2 = json_object_array_get_idx(arr, 1);
    CHECK_STR(json_object_get_string(s_get(j1, "customer_name")), "W*** F***");
    CHECK_STR(json_object_get_string(s_get(j1, "customer_phone")), "139****5678");
    CHECK_STR(json_object_get_string(s_get(j1, "agent")), "A001");
    CHECK_STR(json_object_get_string(s_get(j2, "customer_name")), "张**");
    CHECK_INT(json_object_get_int64(s_get(j2, "id")), 12);
    char batch_first[512];
    snprintf(batch_first, sizeof batch_first, "%s", s_text(j1));
    json_object_put(obj);

    /* the same task as a single task_assigned: the same JSON */
    env.payload_case = HUIFANG__V1__ENVELOPE__PAYLOAD_TASK_ASSIGNED;
    env.task_assigned = &one;
    obj = hf_json_from_message_masked(&env.base);
    CHECK_STR(s_text(s_get(s_get(obj, "task_assigned"), "task")), batch_first);
    json_object_put(obj);
}

static void test_scalars(void)
{
    /* repeated strings, bool, int32 */
    char *regions[] = {"东区", "西区"};
    Huifang__V1__Agent agent = HUIFANG__V1__AGENT__INIT;
    agent.id = "a7";
    agent.n_regions = 2;
    agent.regions = regions;
    agent.daily_calls = 80;
    agent.active = 1;
    json_object *obj = hf_json_from_message(&agent.base);
    CHECK_STR(s_text(s_get(obj, "regions")), "[\"东区\",\"西区\"]");
    CHECK_STR(s_text(s_get(obj, "active")), "true");
    CHECK_STR(s_text(s_get(obj, "daily_calls")), "80");
    CHECK_STR(s_text(s_get(obj, "daily_visits")), "0");
    json_object_put(obj);

    /* Other *_ms fields and money in fen stay plain integers. */
    Huifang__V1__PingResult ping = HUIFANG__V1__PING_RESULT__INIT;
    ping.uptime_ms = 3600000;
    ping.now_ms = 1795420800000;
    obj = hf_json_from_message(&ping.base);
    CHECK_STR(s_text(s_get(obj, "uptime_ms")), "3600000");
    CHECK_STR(s_text(s_get(obj, "now_ms")), "1795420800000");
    json_object_put(obj);

    Huifang__V1__Product product = HUIFANG__V1__PRODUCT__INIT;
    product.price_fen = 12800;
    obj = hf_json_from_message(&product.base);
    CHECK(json_object_is_type(s_get(obj, "price_fen"), json_type_int));
    CHECK_INT(json_object_get_int64(s_get(obj, "price_fen")), 12800);
    json_object_put(obj);

    /* bytes as standard base64, every padding case */
    ProtobufCBinaryData blobs[] = {
        {0, (uint8_t *)""},    {1, (uint8_t *)"f"},    {2, (uint8_t *)"fo"},
        {3, (uint8_t *)"foo"}, {4, (uint8_t *)"foob"}, {3, (uint8_t *)"\xff\xfe\x00"},
    };
    Huifang__V1__ReplayResult replay = HUIFANG__V1__REPLAY_RESULT__INIT;
    replay.n_envelopes = sizeof blobs / sizeof blobs[0];
    replay.envelopes = blobs;
    replay.last_seq = 9;
    obj = hf_json_from_message(&replay.base);
    CHECK_STR(s_text(obj), "{\"envelopes\":[\"\",\"Zg==\",\"Zm8=\",\"Zm9v\",\"Zm9vYg==\",\"//4A\"],"
                           "\"last_seq\":9,\"epoch\":\"\"}");
    json_object_put(obj);

    /* A nested submessage and an unset *_at_ms beside a set one. */
    Huifang__V1__OutcomeFlags flags = HUIFANG__V1__OUTCOME_FLAGS__INIT;
    flags.contacted = 1;
    Huifang__V1__Contact contact = HUIFANG__V1__CONTACT__INIT;
    contact.flags = &flags;
    contact.logged_at_ms = 1795420800000;
    obj = hf_json_from_message(&contact.base);
    CHECK_STR(s_text(s_get(s_get(obj, "flags"), "contacted")), "true");
    CHECK_STR(s_text(s_get(s_get(obj, "flags"), "sale")), "false");
    CHECK(!s_has(obj, "callback_at"));
    CHECK_STR(json_object_get_string(s_get(obj, "logged_at")), "2026-11-23T08:00:00.000Z");
    json_object_put(obj);
    contact.flags = NULL;
    obj = hf_json_from_message(&contact.base);
    CHECK(!s_has(obj, "flags"));
    json_object_put(obj);

    /* never NULL, even for nothing */
    obj = hf_json_from_message(NULL);
    CHECK(obj != NULL);
    CHECK_STR(s_text(obj), "{}");
    json_object_put(obj);
}

static void test_print(void)
{
    /* hf_json_print writes one line: compact, slashes unescaped, newline-terminated. */
    Huifang__V1__Branch branch = HUIFANG__V1__BRANCH__INIT;
    branch.code = "SH01";
    branch.name = "上海";
    branch.tz = "Asia/Shanghai";
    branch.windows = "11:30-14:00,18:00-20:00";

    FILE *capture = tmpfile();
    CHECK(capture != NULL);
    if (capture == NULL)
        return;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(capture), STDOUT_FILENO);
    hf_json_print(&branch.base);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);

    char line[256] = "";
    rewind(capture);
    size_t n = fread(line, 1, sizeof line - 1, capture);
    line[n] = '\0';
    fclose(capture);
    CHECK_STR(line, "{\"code\":\"SH01\",\"name\":\"上海\",\"tz\":\"Asia/Shanghai\","
                    "\"windows\":\"11:30-14:00,18:00-20:00\",\"lead_plans\":\"\"}\n");

    /* and what it writes is JSON that parses back to the same fields */
    json_object *back = json_tokener_parse(line);
    CHECK(back != NULL);
    CHECK_STR(json_object_get_string(s_get(back, "tz")), "Asia/Shanghai");
    json_object_put(back);
}

/* hf_json_to_message: the gateway's direction. Parses text, converts, returns the message
 * (NULL on refusal with err and field filled). */
static char s_err[256], s_field[128];
static ProtobufCMessage *s_parse(const char *text, const ProtobufCMessageDescriptor *desc)
{
    json_object *obj = json_tokener_parse(text);
    CHECK(obj != NULL);
    ProtobufCMessage *msg =
        hf_json_to_message(obj, desc, s_err, sizeof s_err, s_field, sizeof s_field);
    json_object_put(obj);
    return msg;
}

static void test_to_message(void)
{
    /* the shape hf_json_from_message writes reads back: callback_at as RFC 3339, a
     * submessage, a nested message of another file, booleans, integers */
    ProtobufCMessage *m =
        s_parse("{\"task_id\":42,\"outcome\":\"callback\",\"order_qty\":2,"
                "\"callback_at\":\"2026-11-23T08:00:00Z\",\"note\":\"\u56de\u7535\","
                "\"usage\":{\"dose\":\"2 tablets\"},\"typical_case\":true,"
                "\"referral\":{\"name\":\"Wang\",\"phone\":\"13812345678\"}}",
                &huifang__v1__call_log__descriptor);
    CHECK(m != NULL);
    Huifang__V1__CallLog *c = (Huifang__V1__CallLog *)m;
    CHECK(c->task_id == 42);
    CHECK_STR(c->outcome, "callback");
    CHECK_INT(c->order_qty, 2);
    CHECK(c->callback_at_ms == 1795420800000);
    CHECK_STR(c->note, "回电");
    CHECK(c->usage != NULL);
    CHECK_STR(c->usage->dose, "2 tablets");
    CHECK_STR(c->usage->timing, ""); /* not given: the default */
    CHECK(c->typical_case);
    CHECK(c->referral != NULL);
    CHECK_STR(c->referral->phone, "13812345678");
    /* round trip: written again, the same values */
    json_object *back = hf_json_from_message(m);
    CHECK_STR(json_object_get_string(s_get(back, "callback_at")), "2026-11-23T08:00:00.000Z");
    json_object_put(back);
    protobuf_c_message_free_unpacked(m, NULL);

    /* refusals name the field and the reason */
    CHECK(s_parse("{\"task_id\":1,\"colour\":\"red\"}", &huifang__v1__call_log__descriptor) ==
          NULL);
    CHECK_STR(s_field, "colour");
    CHECK_STR(s_err, "unknown field colour");
    CHECK(s_parse("{\"task_id\":\"12\"}", &huifang__v1__call_log__descriptor) == NULL);
    CHECK_STR(s_field, "task_id");
    CHECK_STR(s_err, "task_id must be an integer, not a string");
    CHECK(s_parse("{\"order_qty\":3000000000}", &huifang__v1__call_log__descriptor) == NULL);
    CHECK_STR(s_field, "order_qty");
    CHECK(s_parse("{\"usage\":{\"dose\":1}}", &huifang__v1__call_log__descriptor) == NULL);
    CHECK_STR(s_field, "usage.dose");
    CHECK(s_parse("{\"usage\":{\"dose\":\"x\",\"shape\":1}}", &huifang__v1__call_log__descriptor) ==
          NULL);
    CHECK_STR(s_field, "usage.shape");
    CHECK(s_parse("{\"callback_at\":\"tomorrow\"}", &huifang__v1__call_log__descriptor) == NULL);
    CHECK_STR(s_field, "callback_at");
    CHECK(s_parse("{\"typical_case\":1}", &huifang__v1__call_log__descriptor) == NULL);
    CHECK_STR(s_err, "typical_case must be true or false, not an integer");
    CHECK(s_parse("[1,2]", &huifang__v1__call_log__descriptor) == NULL);
    CHECK_STR(s_field, "");
    /* repeated and enum: a Reply's status by name, its stream position */
    m = s_parse("{\"status\":\"NOT_FOUND\",\"written\":{\"seq\":7}}",
                &huifang__v1__reply__descriptor);
    CHECK(m != NULL);
    CHECK_INT(((Huifang__V1__Reply *)m)->status, HUIFANG__V1__STATUS__NOT_FOUND);
    protobuf_c_message_free_unpacked(m, NULL);
    CHECK(s_parse("{\"status\":\"MAYBE\"}", &huifang__v1__reply__descriptor) == NULL);
    CHECK_STR(s_field, "status");
    m = s_parse("{\"after\":[{\"producer\":\"intake\",\"seq\":3},{\"producer\":\"calllog\"}]}",
                &huifang__v1__request__descriptor);
    CHECK(m != NULL);
    CHECK_INT(((Huifang__V1__Request *)m)->n_after, 2);
    CHECK_STR(((Huifang__V1__Request *)m)->after[1]->producer, "calllog");
    protobuf_c_message_free_unpacked(m, NULL);
    CHECK(s_parse("{\"after\":[{\"producer\":\"intake\"},{\"seq\":-1}]}",
                  &huifang__v1__request__descriptor) == NULL);
    CHECK_STR(s_field, "after.1.seq");
    /* a oneof takes one member */
    CHECK(s_parse("{\"ping\":{},\"whoami\":{}}", &huifang__v1__request__descriptor) == NULL);
    CHECK_STR(s_field, "whoami");
}

int main(void)
{
    TEST_CASE(test_task_shape);
    TEST_CASE(test_reply_oneof_and_enum);
    TEST_CASE(test_envelope);
    TEST_CASE(test_masked);
    TEST_CASE(test_tasks_assigned_masked);
    TEST_CASE(test_scalars);
    TEST_CASE(test_print);
    TEST_CASE(test_to_message);
    TEST_DONE();
}
