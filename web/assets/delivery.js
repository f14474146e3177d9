// The catalogue editor's delivery: what an item delivers in Moodle, each kind's settings as
// fields (courses and categories chosen from the live Moodle). The rules are the server's
// (shared/src/domain/handler.rs): its refusals come back at these fields' `handler.params.*`.
import { field, h, t } from './app.js';
import { coursePicker, repeater, send } from './desk.js';

export const HANDLERS = ['', 'enrol_one_course', 'enrol_multiple', 'course_session', 'extend_enrolment', 'generate_seats',
  'create_course', 'create_category', 'assign_role', 'unlock_certificate', 'add_training_credits'];

const ENROLMENT = ['course', 'role', 'duration_days', 'end_date', 'group_per_customer'];
/** Each kind's settings, in the order the form shows them. */
const SETTINGS = {
  enrol_one_course: ENROLMENT,
  enrol_multiple: ENROLMENT,
  course_session: ['course', 'supervisor_role', 'duration_days', 'end_date', 'group_per_customer'],
  extend_enrolment: ['course', 'days', 'role'],
  generate_seats: ['courses', 'pack_size', 'role', 'duration_days'],
  create_course: ['template', 'category_id', 'role'],
  create_category: ['parent', 'role'],
  assign_role: ['context'],
  unlock_certificate: ['course'],
  add_training_credits: ['credits'],
};
/** Settings the `context` field draws with it (a role's place decides them). */
const WITH_CONTEXT = ['instance_id', 'role'];
/** What the server takes for a setting left out (domain/handler.rs): the form shows it, and
 * leaves it out again when unchanged, so that saving an item untouched changes nothing. */
const DEFAULT_ROLE = { create_course: 'editingteacher', create_category: 'manager', assign_role: undefined };
const defaultOf = (name, kind) => ({
  role: kind in DEFAULT_ROLE ? DEFAULT_ROLE[kind] : 'student',
  supervisor_role: 'teacher',
  pack_size: 1,
  category_id: 1,
  parent: 0,
  instance_id: 0,
}[name]);
/** Other names a shop document may give a setting (kept as the document has them). */
const ALIASES = { course_id: 'course', extension: 'days' };
/** Roles Moodle lets the shop give in a course, and above courses (a category, the site). */
const IN_COURSE = ['student', 'teacher', 'editingteacher', 'manager'];
const ABOVE_COURSES = ['manager', 'coursecreator'];
const CONTEXTS = ['course', 'coursecat', 'system'];

const path = (name) => `handler.params.${name}`;

/** A choice of roles, keeping a stored role the list lacks (the server then says why). */
function roleChoice(name, roles, chosen, label, none) {
  const all = chosen && !roles.includes(chosen) ? [...roles, chosen] : roles;
  const select = h('select', {}, none && h('option', { value: '', selected: chosen === null }, none),
    all.map((r) => h('option', { value: r, selected: r === chosen }, t(`moodle_role_${r}`))));
  return { element: field(label, select, path(name)), read: (p) => { p[name] = select.value || null; } };
}

/** A Moodle category (`top`: the top level is a choice too). */
function categoryChoice(shop, name, current, top, w) {
  const topOption = () => (top ? [h('option', { value: '0', selected: current === 0 }, w('topCategory'))] : []);
  // The stored id until Moodle names its categories.
  const select = h('select', {}, ...topOption(), ...(current ? [h('option', { value: String(current), selected: true }, `#${current}`)] : []));
  send('GET', `/admin/shops/${shop}/moodle/categories`).then(({ json }) => {
    select.replaceChildren(...topOption(), ...json.categories.map((c) => h('option', { value: String(c.id), selected: c.id === current }, c.name)));
  }).catch(() => {});
  return { element: field(w('moodleCategory'), select, path(name)), read: (p) => { p[name] = Number(select.value); } };
}

function number(name, value, label) {
  const input = h('input', { type: 'number', min: '1', step: '1', value: value ?? '' });
  return { element: field(label, input, path(name)), read: (p) => { if (input.value !== '') p[name] = Number(input.value); } };
}

/** The field of one setting of `kind`, drawn from its stored value in `given`. */
function setting(name, kind, given, { shop, w }) {
  const words = { find: w('findCourse'), chosen: w('chosen'), none: w('noCourse'), noResult: w('noResult') };
  const enrolment = ['enrol_one_course', 'enrol_multiple', 'extend_enrolment', 'generate_seats'].includes(kind);
  /** One course found by name in Moodle, under its legend; none chosen, none written. */
  const oneCourse = (setting, stored, legend, pickerWords) => {
    const picker = coursePicker(shop, stored[setting] ?? null, pickerWords, path(setting));
    return { element: h('fieldset', {}, h('legend', {}, legend), picker.element), read: (p) => { if (picker.value() !== null) p[setting] = picker.value(); } };
  };
  switch (name) {
    case 'course': return oneCourse('course', given, w('course'), words);
    case 'template': return oneCourse('template', given, w('template'), { ...words, none: w('blankCourse'), clear: w('blankCourse') });
    case 'courses': {
      const pickers = [];
      const list = repeater({ text: w('seatCourses'), path: path('courses') }, given.courses?.length ? given.courses : [null], (c, i) => {
        const picker = coursePicker(shop, c, words, path(`courses[${i}]`));
        pickers.push(picker);
        return [picker.element];
      }, w('addCourse'), () => null, w('remove'));
      const read = (p) => { p.courses = pickers.filter((x) => x.element.isConnected).map((x) => x.value()).filter((v) => v !== null); };
      return { element: list.element, read };
    }
    case 'role': {
      const roles = kind === 'create_category' ? ABOVE_COURSES : IN_COURSE;
      return roleChoice('role', roles, given.role ?? defaultOf('role', kind), w(enrolment ? 'role' : 'buyerRole'));
    }
    case 'supervisor_role':
      return roleChoice('supervisor_role', IN_COURSE, given.supervisor_role === undefined ? defaultOf('supervisor_role') : given.supervisor_role,
        w('supervisor_role'), w('notEnrolled'));
    case 'duration_days': return number('duration_days', given.duration_days, w('duration_days'));
    case 'days': return number('days', given.days, w('days'));
    case 'pack_size': return number('pack_size', given.pack_size ?? defaultOf('pack_size'), w('pack_size'));
    case 'credits': return number('credits', given.credits, w('credits'));
    case 'end_date': {
      const input = h('input', { type: 'date', value: given.end_date ?? '' });
      return { element: field(w('end_date'), input, path('end_date')), read: (p) => { if (input.value) p.end_date = input.value; } };
    }
    case 'group_per_customer': {
      const box = h('input', { type: 'checkbox', checked: Boolean(given.group_per_customer), 'data-path': path('group_per_customer') });
      return { element: h('label', { class: 'check' }, box, ` ${w('group_per_customer')}`), read: (p) => { if (box.checked) p.group_per_customer = true; } };
    }
    case 'category_id': return categoryChoice(shop, 'category_id', given.category_id ?? defaultOf('category_id'), false, w);
    case 'parent': return categoryChoice(shop, 'parent', given.parent ?? defaultOf('parent'), true, w);
    case 'context': return contextChoice(given, { shop, w, words });
    default: throw new Error(name);
  }
}

/** Where a role is given (a course, a category, the whole site), that place, and the roles
 * Moodle allows there. */
function contextChoice(given, { shop, w, words }) {
  const context = h('select', {}, CONTEXTS.map((c) => h('option', { value: c, selected: c === (given.context ?? 'course') }, w(`context_${c}`))));
  const place = h('div', {});
  let parts = [];
  const draw = (stored) => {
    const where = context.value;
    const instance = stored.instance_id ?? null;
    const at = where === 'course'
      ? (() => {
        const picker = coursePicker(shop, instance, words, path('instance_id'), { by: 'id' });
        return { element: picker.element, read: (p) => { p.instance_id = picker.value() ?? 0; } };
      })()
      : where === 'coursecat' ? categoryChoice(shop, 'instance_id', instance ?? 1, false, w)
        : { element: null, read: (p) => { p.instance_id = 0; } };
    const role = roleChoice('role', where === 'course' ? IN_COURSE : ABOVE_COURSES, stored.role ?? 'manager', w('buyerRole'));
    parts = [at, role];
    place.replaceChildren(...parts.map((x) => x.element).filter(Boolean));
  };
  context.onchange = () => draw({});
  draw(given);
  return {
    element: h('div', {}, field(w('context'), context, path('context')), place),
    read: (p) => { p.context = context.value; parts.forEach((x) => x.read(p)); },
  };
}

/** The delivery fieldset of an item's form; `value()` is the item's `handler` (null: none),
 * and throws a field error when the settings left over as JSON are not JSON. */
export function deliverySection(shop, handler, w) {
  const kind = h('select', { 'data-path': 'handler.type' }, HANDLERS.map((k) => h('option', { value: k, selected: k === (handler?.type || '') }, w(`handler_${k}`))));
  const body = h('div', {});
  let read = () => null;
  const draw = () => {
    const k = kind.value;
    if (!k) { body.replaceChildren(); read = () => null; return; }
    const stored = handler?.type === k ? handler.params : {};
    const given = Object.fromEntries(Object.entries(stored).map(([n, v]) => [ALIASES[n] ?? n, v]));
    const aliased = Object.keys(stored).filter((n) => ALIASES[n]);
    const fields = SETTINGS[k].map((name) => setting(name, k, given, { shop, w }));
    // Settings this form does not know (a document imported by hand) stay, as JSON.
    const known = [...SETTINGS[k], ...(k === 'assign_role' ? WITH_CONTEXT : [])];
    const left = Object.fromEntries(Object.entries(given).filter(([n]) => !known.includes(n)));
    const other = Object.keys(left).length ? h('textarea', { rows: '3' }, JSON.stringify(left)) : null;
    body.replaceChildren(...fields.map((f) => f.element), ...(other ? [field(w('otherParams'), other, 'handler.params')] : []));
    read = () => {
      let params = {};
      try { params = other?.value.trim() ? JSON.parse(other.value) : {}; } catch { throw Object.assign(new Error('json'), { path: 'handler.params', code: 'json' }); }
      fields.forEach((f) => f.read(params));
      for (const [n, v] of Object.entries(params)) if (!(n in given) && v === defaultOf(n, k)) delete params[n];
      for (const alias of aliased) if (ALIASES[alias] in params) { params[alias] = params[ALIASES[alias]]; delete params[ALIASES[alias]]; }
      return { type: k, params };
    };
  };
  kind.onchange = draw;
  draw();
  return {
    element: h('fieldset', {}, h('legend', {}, w('delivery')), field(w('handlerType'), kind, 'handler.type'), body),
    value: () => read(),
  };
}
