<?php
// Sets a Moodle site up for enrolshop, in one command run by the site's administrator on the
// Moodle server (as the web server's user), and prints the token to give the shop:
//
//   sudo -u www-data php enrolshop-setup.php --moodle=/var/www/moodle
//
// It turns on web services, the REST protocol and mobile web services (customer login uses
// login/token.php with the moodle_mobile_app service); creates the role "enrolshop" (system
// context) with exactly ENROLSHOP_CAPABILITIES, allowed to assign the roles the shop's items
// give; the user "enrolshop" holding that role; the external service "enrolshop" with exactly
// ENROLSHOP_FUNCTIONS, open to that user only; and a permanent token for the user on the
// service. Running it again sets the role and the service to exactly these lists again and
// prints the same token. Options: --user=, --role=, --service= (default "enrolshop" each),
// --email= (the user's address, default enrolshop@<site host>).
//
// The two lists are the project's own (tests/tests/moodle_contract.rs checks that the functions
// are exactly the shop's REQUIRED_FUNCTIONS and that the README's table names exactly these
// capabilities, and runs the contract suite with a token this script made).

define('CLI_SCRIPT', true);

/** The web-service functions the shop calls. */
const ENROLSHOP_FUNCTIONS = [
    'core_webservice_get_site_info',
    'core_user_get_users_by_field',
    'core_user_get_users',
    'core_user_create_users',
    'enrol_manual_enrol_users',
    'core_enrol_get_users_courses',
    'core_enrol_get_enrolled_users',
    'core_role_assign_roles',
    'core_course_create_courses',
    'core_course_get_courses_by_field',
    'core_course_search_courses',
    'core_course_duplicate_course',
    'core_course_create_categories',
    'core_course_get_categories',
    'core_group_create_groups',
    'core_group_get_course_groups',
    'core_group_add_group_members',
];

/** The role's capabilities, by the function that needs them (as the README's table). */
const ENROLSHOP_CAPABILITIES = [
    'webservice/rest:use',               // every call
    'moodle/user:viewdetails',           // core_user_get_users_by_field, core_user_get_users
    'moodle/user:viewalldetails',        // core_user_get_users_by_field: usernames
    'moodle/site:viewuseridentity',      // core_user_get_users_by_field: search by email
    'moodle/user:create',                // core_user_create_users
    'enrol/manual:enrol',                // enrol_manual_enrol_users
    'moodle/course:view',                // core_enrol_get_users_courses
    'moodle/course:viewparticipants',    // core_enrol_get_enrolled_users
    'moodle/role:assign',                // core_role_assign_roles, enrol_manual_enrol_users
    'moodle/course:create',              // core_course_create_courses, core_course_get_courses_by_field
    'moodle/backup:backupcourse',        // core_course_duplicate_course
    'moodle/restore:restorecourse',      // core_course_duplicate_course
    'moodle/category:manage',            // core_course_create_categories, core_course_get_categories
    'moodle/course:managegroups',        // core_group_*
    'moodle/site:accessallgroups',       // core_group_*
];

/** The roles the shop's items may give (handler "role" parameters and the session supervisor). */
const ENROLSHOP_ASSIGNABLE = ['manager', 'coursecreator', 'editingteacher', 'teacher', 'student'];

$options = [];
foreach (array_slice($argv, 1) as $arg) {
    if (!preg_match('/^--(moodle|user|role|service|email)=(.+)$/', $arg, $m)) {
        fwrite(STDERR, "unknown argument $arg\nusage: php enrolshop-setup.php --moodle=/path/to/moodle"
            . " [--user=enrolshop] [--role=enrolshop] [--service=enrolshop] [--email=...]\n");
        exit(2);
    }
    $options[$m[1]] = $m[2];
}
if (empty($options['moodle']) || !is_file($options['moodle'] . '/config.php')) {
    fwrite(STDERR, "--moodle must name the Moodle directory (the one holding config.php)\n");
    exit(2);
}
$username = $options['user'] ?? 'enrolshop';
$roleshort = $options['role'] ?? 'enrolshop';
$serviceshort = $options['service'] ?? 'enrolshop';

require($options['moodle'] . '/config.php');
require_once($CFG->libdir . '/adminlib.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->dirroot . '/webservice/lib.php');

\core\session\manager::set_user(get_admin());
$system = context_system::instance();
$say = function (string $line) { fwrite(STDERR, "enrolshop-setup: $line\n"); };

// 1. Web services, REST, mobile web services (through the admin setting, which also lets
//    authenticated users use REST for the mobile service).
set_config('enablewebservices', 1);
$protocols = array_filter(explode(',', get_config('core', 'webserviceprotocols') ?: ''));
if (!in_array('rest', $protocols)) {
    $protocols[] = 'rest';
    set_config('webserviceprotocols', implode(',', $protocols));
}
(new admin_setting_enablemobileservice('enablemobilewebservice', '', '', 0))->write_setting(1);
$say('web services, REST and mobile web services enabled');

// 2. The role, with exactly the capabilities.
$roleid = $DB->get_field('role', 'id', ['shortname' => $roleshort]);
if (!$roleid) {
    $roleid = create_role('Enrolshop web service', $roleshort, 'What the enrolshop shop needs to deliver purchases', '');
}
set_role_contextlevels($roleid, [CONTEXT_SYSTEM]);
$held = $DB->get_fieldset_select('role_capabilities', 'capability', 'roleid = ? AND contextid = ?', [$roleid, $system->id]);
foreach ($held as $cap) {
    if (!in_array($cap, ENROLSHOP_CAPABILITIES)) {
        unassign_capability($cap, $roleid, $system->id);
    }
}
foreach (ENROLSHOP_CAPABILITIES as $cap) {
    if (!get_capability_info($cap)) {
        fwrite(STDERR, "this Moodle has no capability $cap\n");
        exit(1);
    }
    assign_capability($cap, CAP_ALLOW, $roleid, $system->id, true);
}
foreach (ENROLSHOP_ASSIGNABLE as $shortname) {
    $target = $DB->get_field('role', 'id', ['shortname' => $shortname], MUST_EXIST);
    if (!$DB->record_exists('role_allow_assign', ['roleid' => $roleid, 'allowassign' => $target])) {
        core_role_set_assign_allowed($roleid, $target);
    }
}
$say("role $roleshort: " . count(ENROLSHOP_CAPABILITIES) . ' capabilities, may assign ' . implode(', ', ENROLSHOP_ASSIGNABLE));

// 3. The user, holding the role in the system context. Its password is random: it signs in
//    with its token only.
$user = $DB->get_record('user', ['username' => $username, 'deleted' => 0, 'mnethostid' => $CFG->mnet_localhost_id]);
if (!$user) {
    $host = parse_url($CFG->wwwroot, PHP_URL_HOST) ?: 'localhost';
    $id = user_create_user((object)[
        'username' => $username, 'password' => random_string(24) . 'aA1!', 'auth' => 'manual',
        'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id, 'firstname' => 'Enrolshop',
        'lastname' => 'Shop', 'email' => $options['email'] ?? "enrolshop@$host",
    ], true, false);
    $user = $DB->get_record('user', ['id' => $id], '*', MUST_EXIST);
}
role_assign($roleid, $user->id, $system->id);
accesslib_clear_all_caches(true);
$say("user $username (id $user->id) holds role $roleshort");

// 4. The external service, with exactly the functions, for that user only.
$ws = new webservice();
$service = $DB->get_record('external_services', ['shortname' => $serviceshort]);
if (!$service) {
    $sid = $ws->add_external_service((object)['name' => $serviceshort, 'shortname' => $serviceshort,
        'enabled' => 1, 'restrictedusers' => 1, 'downloadfiles' => 0, 'uploadfiles' => 0,
        'requiredcapability' => '', 'component' => null]);
    $service = $DB->get_record('external_services', ['id' => $sid], '*', MUST_EXIST);
}
foreach ($ws->get_external_functions([$service->id]) as $f) {
    if (!in_array($f->name, ENROLSHOP_FUNCTIONS)) {
        $ws->remove_external_function_from_service($f->name, $service->id);
    }
}
foreach (ENROLSHOP_FUNCTIONS as $function) {
    if (!$ws->service_function_exists($function, $service->id)) {
        $ws->add_external_function_to_service($function, $service->id);
    }
}
if (!$DB->record_exists('external_services_users', ['externalserviceid' => $service->id, 'userid' => $user->id])) {
    $ws->add_ws_authorised_user((object)['externalserviceid' => $service->id, 'userid' => $user->id]);
}
$say("service $serviceshort: " . count(ENROLSHOP_FUNCTIONS) . " functions, for $username only");

// 5. The token.
$token = $DB->get_field('external_tokens', 'token', ['userid' => $user->id, 'externalserviceid' => $service->id,
    'tokentype' => EXTERNAL_TOKEN_PERMANENT], IGNORE_MULTIPLE);
if (!$token) {
    $token = \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $user->id, $system, 0, '', 'enrolshop');
}
echo "MOODLE_URL=$CFG->wwwroot\n";
echo "MOODLE_TOKEN=$token\n";
