// Shared code of the back-office pages: the staff's words in English and French, the signed-in
// session, the header, and locale formats. The pages call the /admin API with the staff
// session cookie (set by POST /admin/login); they never use the bearer token.
import { api, clearProblem, fetchJson, field, h, lang, showProblem, t, titleFollowsHeading } from './app.js';

const WORDS = {
  en: {
    backOffice: 'Back office', signIn: 'Sign in', signOut: 'Sign out', shop: 'Shop',
    catalogueEditor: 'Catalogue', settingsPage: 'Settings',
    managersOnly: 'Only the shop’s managers change the catalogue.',
    username: 'Moodle username', password: 'Password', signInIntro: 'Sign in with your account on the learning site. Your shop must list you as staff.',
    role_manager: 'manager', role_operator: 'operator', dashboard: 'Dashboard', bills: 'Bills',
    needsAction: 'Needs action now', awaitingPayment: 'Transfers and cheques awaiting confirmation',
    deliveredUnpaid: 'Delivered before payment: payment awaited',
    paidNotDelivered: 'Paid, not delivered yet (delivery running or failed)', failedMessages: 'Messages not delivered', expiring: 'Products ending within 30 days',
    nothing: 'Nothing to do here.', byStatus: 'Bills by status', search: 'Search', searchHelp: 'Order number, invoice, credit note, name or email',
    document: 'Document', invoiceHtml: 'Invoice', orderHtml: 'Order form', gateway: 'Gateway',
    sampleTitle: 'Sample notification (test mode)', sampleSend: 'Send the notification',
    sampleHelp: 'Sends the bill a payment notification signed as the gateway would, for what remains due.',
    confirmSample: (g) => `Send a signed “paid” notification from ${g}?`, sampleRefused: (n) => `The shop refused the notification (HTTP ${n}).`,
    auditTitle: 'Staff actions', subject: 'On', audit_bill: 'Order', audit_product_suspended: 'Product suspended',
    audit_product_restored: 'Product restored', audit_customer_updated: 'Customer corrected', audit_shop_imported: 'Shop settings and catalogue saved',
    audit_settings_changed: 'Shop settings changed',
    settingsField_texts: 'words in other languages', settingsField_payment_terms: 'payment terms', settingsField_late_payment: 'late payment terms',
    settingsField_name: 'name', settingsField_currency: 'currency', settingsField_test_mode: 'test mode', settingsField_payment_methods: 'payment methods',
    settingsField_default_payment_method: 'default payment method', settingsField_customer_support_course: 'support course', settingsField_terms: 'terms of sale',
    settingsField_seller: 'seller', settingsField_gateways: 'gateway settings', settingsField_step_order: 'checkout steps', settingsField_taxes: 'taxes',
    settingsField_categories: 'categories', settingsField_reminder_days: 'reminders', settingsField_messages: 'messages', settingsField_staff: 'staff',
    audit_item_changed: 'Catalogue item', item_created: 'created', item_updated: 'changed', item_duplicated: 'created as a copy', item_deleted: 'deleted',
    itemField_name: 'name', itemField_description: 'description', itemField_prices: 'prices', itemField_status: 'status', itemField_tax: 'tax',
    itemField_category: 'category', itemField_handler: 'delivery', itemField_stock: 'stock', itemField_visibility: 'visibility', itemField_password: 'password',
    itemField_kind: 'kind', itemField_parts: 'parts', itemField_max_quantity: 'maximum quantity', itemField_seat_mode: 'seats', itemField_seat_roles: 'seat roles',
    itemField_required_data: 'required data', itemField_eula: 'licence', itemField_renewable: 'renewable', itemField_code: 'code',
    itemField_texts: 'words in other languages',
    sort: 'Sort', newestFirst: 'Newest first', oldestFirst: 'Oldest first',
    status: 'Status', any: 'Any', from: 'From', to: 'To', filter: 'Filter', next: 'Next page', first: 'First page',
    bill: 'Order', date: 'Date', customer: 'Customer', total: 'Total incl. tax', method: 'Payment', open: 'Open',
    received: 'Received', remaining: 'Remaining', placed: 'Placed', paid: 'Paid', invoice: 'Invoice number', creditNote: 'Credit note', creditNoteHtml: 'Open',
    lines: 'Lines', item: 'Item', quantity: 'Quantity', delivery: 'Delivery', trace: 'History', who: 'Who', what: 'What', note: 'Note',
    invoicing: 'Invoicing', participants: 'Participants', back: 'All bills',
    recordPayment: 'Record a payment', amount: 'Amount', reference: 'Reference (optional)', record: 'Record the payment',
    refundTitle: 'Refund part of the order', refundAmount: 'Amount refunded (incl. tax)', refundNote: 'Why', refundRecord: 'Record the refund',
    refundHelp: 'Money sent back while the order stands (a participant withdrew, a goodwill gesture): the order and its access are unchanged, a credit note is made for this amount and the buyer is told. To refund all of it, change the status.',
    confirmRefund: (a) => `Record a refund of ${a}? The buyer will be told, with a credit note.`, partRefund: 'Part refund',
    changeStatus: 'Change the status', newStatus: 'New status', chooseStatus: 'Choose…', noteHelp: 'Required to cancel or refund: say why.', apply: 'Apply',
    supportCourse: 'Enrolment in the support course', supportHelp: 'The order is delivered all the same: enrol the buyer there by hand in Moodle, and check the support course in the settings.',
    retry: 'Retry the delivery', retryHelp: 'Some lines could not be delivered. Once the cause is fixed in Moodle, retry them.',
    confirm: 'Confirm', cancel: 'Go back', confirmPayment: (a) => `Record a payment of ${a}?`,
    confirmStatus: (s) => `Move this order to “${s}”?`, confirmRetry: 'Retry the delivery of the failed lines?',
    done: 'Done.', notStaff: 'Sign in with a staff account to use the back office.',
    notOnStaff: 'This Moodle account is not on the shop’s staff: ask a manager of the shop to add it.', to_: 'To', test: 'test',
    kind: 'Message', attempts: 'Attempts', error: 'Error', ends: 'Ends', product: 'Product',
    mailRefused: 'Refused by the mail system: check the address.', mailGaveUp: (n) => `Given up after ${n} tries: the mail system did not take it.`,
    mailNoAddress: 'Not sent: there was no address to send it to.',
    sendTo: 'Send to', sendAgain: 'Send again', sendAgainQuestion: (to) => `Send this message again to ${to}?`,
    sentAgain: 'Back in the outbox: it goes within a minute.',
    messages: 'Messages', msgWaiting: 'waiting to go', msgSent: (at) => `sent ${at}`, sendAgainOpen: 'Send again…',
    actor_buyer: 'the buyer', actor_system: 'the shop', actor_token: 'the bearer token (a script)', created: 'created',
    cause_order_placed: (c) => `order placed, payment: ${method(c.method)}`, cause_awaiting_payment: (c) => `awaiting payment: ${method(c.method)}`,
    cause_free_order: 'free order', cause_payment_retried: (c) => `payment retried: ${method(c.method)}`,
    cause_test_payment_accepted: 'test payment accepted', cause_test_payment_pending: 'test payment pending', cause_test_payment_refused: 'test payment refused',
    cause_gateway_paid: 'payment confirmed by the gateway', cause_gateway_pending: 'payment pending at the gateway',
    cause_gateway_refused: 'payment refused or abandoned at the gateway', cause_gateway_refunded: 'refunded by the gateway',
    cause_operator_payment: 'payment recorded by staff', cause_delivered: 'every line delivered',
    cause_paid_after_delivery: 'paid in full, delivered before payment',
    cause_production_retried: (c) => `delivery retried (${c.units} unit(s) reset)`,
    cause_notified_when_settled: (c) => `payment notification on a bill “${t(`status_${c.status}`)}”: to be checked by staff`,
    cause_amount_mismatch: (c) => `different amount: ${c.notified} notified, ${amount(c.due, c.currency)} due`,
    cause_abandoned: (c) => `no payment ${c.days} days after the order: called off by the shop`,
    cause_payment_reminder: (c) => `payment still awaited ${c.days} days after the order: the buyer reminded`,
    cause_gateway_partial_refund: (c) => `the gateway refunded ${amount(c.refunded, c.currency)}, part of what was received: the order and its access stand; check it, then record it below (“Refund part of the order”) unless it is there already, which makes its credit note`,
    cause_partial_refund: (c) => `${amount(c.refunded, c.currency)} refunded, part of what was received: ${c.note}`,
    cause_message_not_delivered: (c) => `message “${w(`msg_${c.message}`)}” not delivered to ${c.to ?? 'nobody'}`,
    cause_message_sent_again: (c) => `message “${w(`msg_${c.message}`)}” sent again${c.to ? ` to ${c.to}` : ''}`,
    problem_moodle_refused: (p) => `Moodle refused the delivery: ${w('moodleRefusal')[p.moodle_code] ?? 'see its message'}`,
    problem_moodle_unexpected: 'Moodle answered something the shop cannot read',
    problem_course_not_found: (p) => `no course in Moodle has the ${w('courseField')[p.field] ?? p.field} “${p.value}”`,
    problem_gave_up: 'given up after repeated failures (Moodle or the shop’s storage could not be reached)',
    problem_bad_handler: 'the item’s delivery settings cannot be read', problem_no_intent: 'no delivery recorded to repeat',
    courseField: { shortname: 'short name', idnumber: 'ID number', id: 'id' },
    moodleRefusal: {
      nopermissions: 'the shop’s Moodle account lacks a permission', wsusercannotassign: 'the shop’s Moodle account may not give this role',
      wsnoinstance: 'manual enrolments are not enabled in the course', invalidrecord: 'something the item names is not in Moodle',
      invalidrecordunknown: 'something the item names is not in Moodle', invalidparameter: 'a value the shop sent is invalid',
      shortnametaken: 'a course already has this short name', courseidnumbertaken: 'a course already has this ID number',
      categoryidnumbertaken: 'a category already has this ID number', invalidtoken: 'the shop’s Moodle token is not valid',
      accessexception: 'the shop’s web service does not include this function', errorcatcontextnotvalid: 'the shop’s Moodle account cannot act in this category',
    },
    moodleSaid: 'Moodle’s message', detailSaid: 'Technical details',
    msg_order_placed: 'Order placed', msg_payment_received: 'Payment received', msg_delivered: 'Access ready',
    msg_payment_failed: 'Payment failed', msg_refunded: 'Refunded', msg_partial_refund: 'Part refund', msg_cancelled: 'Cancelled', msg_payment_reminder: 'Payment reminder', msg_new_order: 'New order (to the sales address)',
    msg_awaiting_payment: 'Awaiting a cheque or transfer (to the sales address)', msg_gateway_note: 'Gateway note (to the sales address)',
    msg_production_failed: 'Delivery failed (to the sales address)', msg_orders_lookup: 'Find my orders', msg_expiry_reminder: 'Access ending soon',
    msg_seat_assigned: 'Seat given (to its holder)', msg_seat_assigned_copy: 'Seat given (copy to the buyer)', msg_not_complete: 'Paid, not delivered (to the sales address)',
    figures: 'Sales', period: 'Period', lastDays: (n) => `last ${n} days`, revenueExcl: 'revenue excl. tax', orders: 'orders', order: 'order', revenueCol: 'Revenue excl. tax', ordersCol: 'Orders',
    refundedExcl: 'refunded excl. tax', refundedOf: (a) => `${a} refunded`,
    revenueBy_day: 'Revenue excl. tax by day', revenueBy_week: 'Revenue excl. tax by week', revenueBy_month: 'Revenue excl. tax by month',
    grouping: 'Shown by', by_day: 'day', by_week: 'week', by_month: 'month', periodCol: 'Period', weekOf: (d) => `week of ${d}`,
    paidInPart: 'Paid in part: the amount received differs from the total', topItems: 'Items sold', byMethod: 'Orders by payment method', noSales: 'No sales in this period.',
    customers: 'Customers', customerSearchHelp: 'Name, email or organisation', email: 'Email', organisation: 'Organisation', city: 'City',
    staleCustomer: 'This customer changed since you opened the page (another operator, or an order): your correction was not saved. Reload the page and make it again.',
    noneYet: 'None yet.', identity: 'Identity', moodleAccount: 'Moodle account', boughtSince: 'First order delivered', user: 'Learner',
    products: 'Products', action: 'Action', emailExample: 'name@example.org', suspend: 'Suspend', restore: 'Restore', start: 'Start', noEnd: 'no end', boughtBy: 'bought by',
    customerEmail: "Customer's email", state_running: 'running', state_expiring: 'ending within 30 days', state_expired: 'ended', state_suspended: 'suspended',
    confirmSuspend: (item, user) => `Suspend “${item}” for ${user}? They lose access in Moodle.`,
    confirmRestore: (item, user) => `Restore “${item}” for ${user}? They get access back in Moodle.`,
    exports: 'Exports (CSV)', format: 'Spreadsheet format', formatEn: 'English (comma, decimal point)', formatFr: 'French (semicolon, decimal comma)',
    export_bills: 'Bills, one row each, with the tax breakdown', export_lines: 'Bill lines', export_payments: 'Payments (bank reconciliation)',
    export_customers: 'Customers', export_products: 'Products delivered', export_credit_notes: 'Credit notes, by their date, with the tax breakdown',
  },
  fr: {
    backOffice: 'Back-office', signIn: 'Se connecter', signOut: 'Se déconnecter', shop: 'Boutique',
    catalogueEditor: 'Catalogue', settingsPage: 'Réglages',
    managersOnly: 'Seuls les responsables de la boutique modifient le catalogue.',
    username: "Nom d’utilisateur Moodle", password: 'Mot de passe', signInIntro: 'Connectez-vous avec votre compte de la plateforme de formation. Votre boutique doit vous compter dans son équipe.',
    role_manager: 'responsable', role_operator: 'opérateur', dashboard: 'Tableau de bord', bills: 'Commandes',
    needsAction: 'À traiter maintenant', awaitingPayment: 'Virements et chèques à confirmer',
    deliveredUnpaid: 'Livrées avant paiement : paiement attendu',
    paidNotDelivered: 'Payées, pas encore livrées (livraison en cours ou en échec)', failedMessages: 'Messages non distribués', expiring: 'Produits qui se terminent sous 30 jours',
    nothing: 'Rien à faire ici.', byStatus: 'Commandes par état', search: 'Rechercher', searchHelp: 'Numéro de commande, facture, avoir, nom ou courriel',
    document: 'Document', invoiceHtml: 'Facture', orderHtml: 'Bon de commande', gateway: 'Prestataire',
    sampleTitle: 'Notification d’essai (mode test)', sampleSend: 'Envoyer la notification',
    sampleHelp: 'Envoie à la commande une notification de paiement signée comme le ferait le prestataire, pour le reste dû.',
    confirmSample: (g) => `Envoyer une notification « payé » signée de ${g} ?`, sampleRefused: (n) => `La boutique a refusé la notification (HTTP ${n}).`,
    auditTitle: 'Actions de l’équipe', subject: 'Sur', audit_bill: 'Commande', audit_product_suspended: 'Produit suspendu',
    audit_product_restored: 'Produit rétabli', audit_customer_updated: 'Client corrigé', audit_shop_imported: 'Réglages et catalogue enregistrés',
    audit_settings_changed: 'Réglages de la boutique modifiés',
    settingsField_texts: 'textes dans les autres langues', settingsField_payment_terms: 'conditions de paiement', settingsField_late_payment: 'pénalités de retard',
    settingsField_name: 'nom', settingsField_currency: 'devise', settingsField_test_mode: 'mode test', settingsField_payment_methods: 'moyens de paiement',
    settingsField_default_payment_method: 'moyen de paiement par défaut', settingsField_customer_support_course: 'cours d’accompagnement', settingsField_terms: 'conditions de vente',
    settingsField_seller: 'vendeur', settingsField_gateways: 'réglages des prestataires', settingsField_step_order: 'étapes de commande', settingsField_taxes: 'taxes',
    settingsField_categories: 'catégories', settingsField_reminder_days: 'rappels', settingsField_messages: 'messages', settingsField_staff: 'équipe',
    audit_item_changed: 'Article du catalogue', item_created: 'créé', item_updated: 'modifié', item_duplicated: 'créé par copie', item_deleted: 'supprimé',
    itemField_name: 'nom', itemField_description: 'description', itemField_prices: 'prix', itemField_status: 'état', itemField_tax: 'taxe',
    itemField_category: 'catégorie', itemField_handler: 'livraison', itemField_stock: 'stock', itemField_visibility: 'visibilité', itemField_password: 'mot de passe',
    itemField_kind: 'type', itemField_parts: 'composants', itemField_max_quantity: 'quantité maximale', itemField_seat_mode: 'places', itemField_seat_roles: 'rôles des places',
    itemField_required_data: 'informations demandées', itemField_eula: 'licence', itemField_renewable: 'renouvelable', itemField_code: 'code',
    itemField_texts: 'textes dans les autres langues',
    sort: 'Tri', newestFirst: 'Les plus récentes d’abord', oldestFirst: 'Les plus anciennes d’abord',
    status: 'État', any: 'Tous', from: 'Du', to: 'Au', filter: 'Filtrer', next: 'Page suivante', first: 'Première page',
    bill: 'Commande', date: 'Date', customer: 'Client', total: 'Total TTC', method: 'Paiement', open: 'Ouvrir',
    received: 'Reçu', remaining: 'Reste dû', placed: 'Passée le', paid: 'Payée le', invoice: 'Numéro de facture', creditNote: 'Avoir', creditNoteHtml: 'Ouvrir',
    lines: 'Lignes', item: 'Article', quantity: 'Quantité', delivery: 'Livraison', trace: 'Historique', who: 'Qui', what: 'Quoi', note: 'Note',
    invoicing: 'Facturation', participants: 'Participants', back: 'Toutes les commandes',
    recordPayment: 'Enregistrer un paiement', amount: 'Montant', reference: 'Référence (facultative)', record: 'Enregistrer le paiement',
    refundTitle: 'Rembourser une partie de la commande', refundAmount: 'Montant remboursé (TTC)', refundNote: 'Motif', refundRecord: 'Enregistrer le remboursement',
    refundHelp: 'Argent rendu alors que la commande est maintenue (un participant s’est désisté, un geste commercial) : la commande et ses accès sont inchangés, un avoir de ce montant est établi et l’acheteur est prévenu. Pour tout rembourser, changez l’état.',
    confirmRefund: (a) => `Enregistrer un remboursement de ${a} ? L’acheteur sera prévenu, avec un avoir.`, partRefund: 'Remboursement partiel',
    changeStatus: "Changer l’état", newStatus: 'Nouvel état', chooseStatus: 'Choisir…', noteHelp: 'Obligatoire pour annuler ou rembourser : dites pourquoi.', apply: 'Appliquer',
    supportCourse: 'Inscription au cours d’assistance', supportHelp: 'La commande est livrée malgré tout : inscrivez l’acheteur à la main dans Moodle, et vérifiez le cours d’assistance dans les réglages.',
    retry: 'Relancer la livraison', retryHelp: "Des lignes n’ont pas pu être livrées. Une fois la cause corrigée dans Moodle, relancez-les.",
    confirm: 'Confirmer', cancel: 'Revenir', confirmPayment: (a) => `Enregistrer un paiement de ${a} ?`,
    confirmStatus: (s) => `Passer cette commande à l’état « ${s} » ?`, confirmRetry: 'Relancer la livraison des lignes en échec ?',
    done: 'Fait.', notStaff: "Connectez-vous avec un compte de l’équipe pour utiliser le back-office.",
    notOnStaff: 'Ce compte Moodle n’est pas dans l’équipe de la boutique : demandez à un responsable de l’ajouter.', to_: 'Destinataire', test: 'test',
    kind: 'Message', attempts: 'Essais', error: 'Erreur', ends: 'Fin', product: 'Produit',
    mailRefused: 'Refusé par le système de messagerie : vérifiez l’adresse.', mailGaveUp: (n) => `Abandonné après ${n} essais : le système de messagerie ne l’a pas pris.`,
    mailNoAddress: 'Non envoyé : il n’y avait pas d’adresse où l’envoyer.',
    sendTo: 'Envoyer à', sendAgain: 'Renvoyer', sendAgainQuestion: (to) => `Renvoyer ce message à ${to} ?`,
    sentAgain: 'Remis à l’envoi : il part dans la minute.',
    messages: 'Messages', msgWaiting: 'en attente d’envoi', msgSent: (at) => `envoyé le ${at}`, sendAgainOpen: 'Renvoyer…',
    actor_buyer: "l’acheteur", actor_system: 'la boutique', actor_token: 'le jeton d’accès (un script)', created: 'création',
    cause_order_placed: (c) => `commande passée, paiement : ${method(c.method)}`, cause_awaiting_payment: (c) => `paiement attendu : ${method(c.method)}`,
    cause_free_order: 'commande gratuite', cause_payment_retried: (c) => `paiement repris : ${method(c.method)}`,
    cause_test_payment_accepted: 'paiement de test accepté', cause_test_payment_pending: 'paiement de test en attente', cause_test_payment_refused: 'paiement de test refusé',
    cause_gateway_paid: 'paiement confirmé par le prestataire', cause_gateway_pending: 'paiement en attente chez le prestataire',
    cause_gateway_refused: 'paiement refusé ou abandonné chez le prestataire', cause_gateway_refunded: 'remboursée par le prestataire',
    cause_operator_payment: 'paiement enregistré par l’équipe', cause_delivered: 'toutes les lignes sont livrées',
    cause_paid_after_delivery: 'payée en totalité, livrée avant paiement',
    cause_production_retried: (c) => `livraison relancée (${c.units} unité(s) remise(s) à zéro)`,
    cause_notified_when_settled: (c) => `notification de paiement sur une commande « ${t(`status_${c.status}`)} » : à vérifier par l’équipe`,
    cause_amount_mismatch: (c) => `montant différent : ${c.notified} notifié, ${amount(c.due, c.currency)} dû`,
    cause_abandoned: (c) => `aucun paiement ${c.days} jours après la commande : annulée par la boutique`,
    cause_payment_reminder: (c) => `paiement toujours attendu ${c.days} jours après la commande : rappel à l’acheteur`,
    cause_gateway_partial_refund: (c) => `le prestataire a remboursé ${amount(c.refunded, c.currency)}, une partie de ce qui a été reçu : la commande et son accès restent ; à vérifier, puis à enregistrer ci-dessous (« Rembourser une partie de la commande ») s’il n’y est pas déjà, ce qui établit son avoir`,
    cause_partial_refund: (c) => `${amount(c.refunded, c.currency)} remboursés, une partie de ce qui a été reçu : ${c.note}`,
    cause_message_not_delivered: (c) => `message « ${w(`msg_${c.message}`)} » non remis à ${c.to ?? 'personne'}`,
    cause_message_sent_again: (c) => `message « ${w(`msg_${c.message}`)} » renvoyé${c.to ? ` à ${c.to}` : ''}`,
    problem_moodle_refused: (p) => `Moodle a refusé la livraison : ${w('moodleRefusal')[p.moodle_code] ?? 'voir son message'}`,
    problem_moodle_unexpected: 'Moodle a répondu quelque chose que la boutique ne sait pas lire',
    problem_course_not_found: (p) => `aucun cours dans Moodle n’a ${w('courseField')[p.field] ?? p.field} « ${p.value} »`,
    problem_gave_up: 'abandonnée après plusieurs échecs (Moodle ou le stockage de la boutique injoignable)',
    problem_bad_handler: 'les réglages de livraison de l’article sont illisibles', problem_no_intent: 'aucune livraison enregistrée à reprendre',
    courseField: { shortname: 'le nom abrégé', idnumber: 'le numéro d’identification', id: 'l’identifiant' },
    moodleRefusal: {
      nopermissions: 'il manque une permission au compte Moodle de la boutique', wsusercannotassign: 'le compte Moodle de la boutique ne peut pas attribuer ce rôle',
      wsnoinstance: 'l’inscription manuelle n’est pas activée dans le cours', invalidrecord: 'un élément que l’article désigne n’existe pas dans Moodle',
      invalidrecordunknown: 'un élément que l’article désigne n’existe pas dans Moodle', invalidparameter: 'une valeur envoyée par la boutique est invalide',
      shortnametaken: 'un cours porte déjà ce nom abrégé', courseidnumbertaken: 'un cours porte déjà ce numéro d’identification',
      categoryidnumbertaken: 'une catégorie porte déjà ce numéro d’identification', invalidtoken: 'le jeton Moodle de la boutique n’est pas valide',
      accessexception: 'le service web de la boutique ne comprend pas cette fonction', errorcatcontextnotvalid: 'le compte Moodle de la boutique ne peut pas agir dans cette catégorie',
    },
    moodleSaid: 'Message de Moodle', detailSaid: 'Détails techniques',
    msg_order_placed: 'Commande passée', msg_payment_received: 'Paiement reçu', msg_delivered: 'Accès prêt',
    msg_payment_failed: 'Paiement échoué', msg_refunded: 'Remboursement', msg_partial_refund: 'Remboursement partiel', msg_cancelled: 'Annulation', msg_payment_reminder: 'Rappel de paiement', msg_new_order: 'Nouvelle commande (à l’adresse commerciale)',
    msg_awaiting_payment: 'Chèque ou virement attendu (à l’adresse commerciale)', msg_gateway_note: 'Remarque du prestataire (à l’adresse commerciale)',
    msg_production_failed: 'Livraison échouée (à l’adresse commerciale)', msg_orders_lookup: 'Retrouver mes commandes', msg_expiry_reminder: 'Accès bientôt terminé',
    msg_seat_assigned: 'Place attribuée (à son titulaire)', msg_seat_assigned_copy: 'Place attribuée (copie à l’acheteur)', msg_not_complete: 'Payée, non livrée (à l’adresse commerciale)',
    figures: 'Ventes', period: 'Période', lastDays: (n) => `${n} derniers jours`, revenueExcl: "chiffre d’affaires HT", orders: 'commandes', order: 'commande', revenueCol: "Chiffre d’affaires HT", ordersCol: 'Commandes',
    refundedExcl: 'remboursés HT', refundedOf: (a) => `${a} remboursés`,
    revenueBy_day: "Chiffre d’affaires HT par jour", revenueBy_week: "Chiffre d’affaires HT par semaine", revenueBy_month: "Chiffre d’affaires HT par mois",
    grouping: 'Affiché par', by_day: 'jour', by_week: 'semaine', by_month: 'mois', periodCol: 'Période', weekOf: (d) => `semaine du ${d}`,
    paidInPart: 'Payées en partie : le montant reçu diffère du total', topItems: 'Articles vendus', byMethod: 'Commandes par moyen de paiement', noSales: 'Aucune vente sur cette période.',
    customers: 'Clients', customerSearchHelp: 'Nom, courriel ou organisme', email: 'Courriel', organisation: 'Organisme', city: 'Ville',
    staleCustomer: 'Ce client a changé depuis que vous avez ouvert la page (un autre opérateur, ou une commande) : votre correction n’a pas été enregistrée. Rechargez la page et refaites-la.',
    noneYet: 'Aucun pour le moment.', identity: 'Identité', moodleAccount: 'Compte Moodle', boughtSince: 'Première commande livrée', user: 'Apprenant',
    products: 'Produits', action: 'Action', emailExample: 'prenom.nom@exemple.fr', suspend: 'Suspendre', restore: 'Rétablir', start: 'Début', noEnd: 'sans fin', boughtBy: 'acheté par',
    customerEmail: 'Courriel du client', state_running: 'actif', state_expiring: 'se termine sous 30 jours', state_expired: 'terminé', state_suspended: 'suspendu',
    confirmSuspend: (item, user) => `Suspendre « ${item} » pour ${user} ? Son accès dans Moodle est coupé.`,
    confirmRestore: (item, user) => `Rétablir « ${item} » pour ${user} ? Son accès dans Moodle revient.`,
    exports: 'Exportations (CSV)', format: 'Format du tableur', formatEn: 'anglais (virgule, point décimal)', formatFr: 'français (point-virgule, virgule décimale)',
    export_bills: 'Commandes, une ligne chacune, avec le détail des taxes', export_lines: 'Lignes de commande', export_payments: 'Paiements (rapprochement bancaire)',
    export_customers: 'Clients', export_products: 'Produits livrés', export_credit_notes: 'Avoirs, par leur date, avec le détail des taxes',
  },
};

/** Whether the staff's pages have words for `key` in `language` (checked by words.test.mjs). */
export const staffKnows = (language, key) => Object.hasOwn(WORDS[language], key);

/** Who did it, as staff read it: a member of staff by their Moodle username, the bearer token
 * (`API-TOKEN`, a name no Moodle user has) in the page's words. Takes `operator:<name>` too. */
export const staffName = (actor) => {
  const name = actor.replace(/^operator:/, '');
  return name === 'API-TOKEN' ? w('actor_token') : name;
};

/** The staff's words (a function for sentences with a value). */
export const w = (key, ...args) => {
  const word = WORDS[lang()][key] ?? WORDS.en[key] ?? key;
  return typeof word === 'function' ? word(...args) : word;
};

const method = (m) => t(`method_${m}`);

/** What an entry of a bill's trace says: the shop's cause in the page's language, or the
 * operator's note as typed (`reason`, also the words of entries written before causes). */
/** Under a bill in a list: the credit notes of its part refunds, each by its number. */
export const refundNotes = (bill) => (bill.refund_credit_notes || []).map((n) =>
  [h('br'), h('span', { class: 'muted refund-credit-note' }, `${w('creditNote')} ${n}`)]);

export const said = (entry) => (entry.cause ? w(`cause_${entry.cause.code}`, entry.cause) : entry.reason ?? entry.detail);

/** Why a line was not delivered: the shop's words for it (with Moodle's error code), then what
 * Moodle or the network said, untranslated, behind a disclosure for whoever looks for the cause. */
export const problemSaid = (p) => h('div', { class: 'error-text' },
  h('span', {}, w(`problem_${p.code}`, p)), p.moodle_code && [' (', h('code', {}, p.moodle_code), ')'],
  p.detail && asReceived(p.detail, w(p.code === 'moodle_refused' ? 'moodleSaid' : 'detailSaid')));

/** What another system said (Moodle, a mail server), as it said it: folded under `label`, so
 * that a page in French shows its English only to whoever opens it. */
export const asReceived = (text, label = w('detailSaid')) => h('details', { class: 'received' }, h('summary', {}, label), h('q', {}, text));

/** An item's or category's name in the page's language (the shop's `texts`, or an item list's
 * `names`), else the document's own. */
export const inLang = (thing) => thing.names?.[lang()] || thing.texts?.[lang()]?.name || thing.name;

/** A product's item, named in the page's language: by the staff's list's `item_names`, else by
 * the listed catalogue's `names` (code → name), else its code. */
export const productItem = (p, names = {}) => p.item_names?.[lang()] || names[p.item_code] || p.item_code;

// A `stacked` table is a list of cards up to a tablet (style.css); its explicit roles keep it a
// table for screen readers whatever its CSS display. A head is [label, class?]; a cell is
// [class, ...content] (the classes place it in the card: `key`, `state`, `who`, `num`...).

/** The head of a `stacked` table. */
export const stackedHead = (heads) => h('thead', { role: 'rowgroup' },
  h('tr', { role: 'row' }, heads.map(([label, cls]) => h('th', { scope: 'col', role: 'columnheader', class: cls }, label))));

/** A row of a `stacked` table, with the row's own attributes. */
export const stackedRow = (attrs, cells) => h('tr', { ...attrs, role: 'row' }, cells.map(([cls, ...content]) => h('td', { role: 'cell', class: cls }, content)));

/** A `stacked` table: `rows` are [attributes, cells]. */
export const stackedTable = (attrs, heads, rows) => h('table', { ...attrs, class: 'stacked', role: 'table' },
  stackedHead(heads), h('tbody', { role: 'rowgroup' }, rows.map(([rowAttrs, cells]) => stackedRow(rowAttrs, cells))));

/** A cell's label, shown only where a `stacked` table is a card (its header hidden then). */
export const cardLabel = (text) => h('span', { class: 'card-label', 'aria-hidden': 'true' }, `${text} `);

const locale = () => (lang() === 'fr' ? 'fr-FR' : 'en-GB');

/** A decimal from the API as it is typed in the page's language (`89.50` → `89,50` in French),
 * for a field's value: the page sends it back with a point, whichever was typed. */
export const typed = (x) => (x != null && lang() === 'fr' ? String(x).replace('.', ',') : x);

/** An amount (a decimal string from the API) in the page's locale: `1 203,75 €`. */
export const amount = (value, currency) =>
  new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(value);

export const when = (iso) =>
  iso ? new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '';

export const day = (iso) => (iso ? new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso)) : '');

/** The signed-in staff member, or null. */
/** The shop’s settings and its listed items in the page’s language, every page of the catalogue followed (the desk
 * names items; the catalogue editor will give staff their own item routes). */
export async function catalogueWithItems(shop) {
  const first = await api('GET', `/shops/${shop}/catalog?lang=${lang()}`);
  let cursor = first.next_cursor;
  while (cursor) {
    const page = await api('GET', `/shops/${shop}/catalog?lang=${lang()}&cursor=${encodeURIComponent(cursor)}`);
    first.items.push(...page.items);
    cursor = page.next_cursor;
  }
  return first;
}

export async function staffSession() {
  try {
    return await api('GET', '/admin/session');
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/** The back office's header: the shop, who is signed in, sign out, language. */
export function deskHeader(session, shopName) {
  const switchTo = (l) => { localStorage.setItem('enrolshop.lang', l); location.reload(); };
  document.documentElement.lang = lang();
  // Signed out, the shop is not known yet: the sign-in page titles its tab itself.
  titleFollowsHeading(session ? `${shopName} — ${w('backOffice')}` : null);
  const out = async () => { await api('POST', '/admin/logout', {}); location.assign('/admin'); };
  return h('header', {},
    h('a', { class: 'brand', href: '/admin' }, `${shopName} — ${w('backOffice')}`),
    h('nav', { 'aria-label': w('backOffice') },
      session && h('a', { href: '/admin' }, w('dashboard')),
      session && h('a', { href: '/admin/customers' }, w('customers')),
      session && h('a', { href: '/admin/products' }, w('products')),
      session?.role === 'manager' && h('a', { href: '/admin/items' }, w('catalogueEditor')),
      session?.role === 'manager' && h('a', { href: '/admin/settings' }, w('settingsPage')),
      session && h('span', { class: 'muted' }, `${session.firstname} ${session.lastname} (${w(`role_${session.role}`)})`),
      session && h('button', { type: 'button', class: 'secondary', onclick: out }, w('signOut')),
      h('button', { type: 'button', class: 'lang', lang: 'en', title: 'English', onclick: () => switchTo('en') }, 'EN'),
      h('button', { type: 'button', class: 'lang', lang: 'fr', title: 'Français', onclick: () => switchTo('fr') }, 'FR')));
}

/**
 * Runs `action` once the user confirms, in the form itself: the submit button gives way to
 * the question with Confirm and Go back.
 */
export function confirmIn(form, question, action) {
  const box = h('div', { class: 'notice confirm', role: 'alertdialog', 'aria-label': question },
    h('p', {}, question));
  const yes = h('button', { type: 'button', class: 'primary' }, w('confirm'));
  const no = h('button', { type: 'button', class: 'secondary' }, w('cancel'));
  box.append(h('div', { class: 'row' }, yes, no));
  const submit = form.querySelector('button[type=submit]');
  submit.hidden = true;
  form.append(box);
  const close = () => { box.remove(); submit.hidden = false; };
  no.addEventListener('click', close);
  yes.addEventListener('click', async () => { close(); await action(); });
  yes.focus();
}

const colon = () => (lang() === 'fr' ? ' : ' : ': ');

/** A request that sends and reads a resource's version (ETag). */
export async function send(method, path, body, headers = {}) {
  const { json, r } = await fetchJson(path, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { json, etag: r.headers.get('etag') };
}

/** Why a message was given up on, in the staff's words; the mail system's own answer folded. */
export const mailFailure = (m) => h('div', { class: 'error-text' },
  h('span', {}, !m.to ? w('mailNoAddress') : m.refused ? w('mailRefused') : w('mailGaveUp', m.attempts)),
  m.error && asReceived(m.error));

/** "Send again" a message of `bill` (given up on, or sent and lost), to the address it went to
 * or a corrected one (a mistyped address), confirmed in place; then `done(form)`. A "find my
 * orders" message cannot go again. */
export function sendAgainForm(bill, m, done) {
  if (m.kind === 'orders_lookup') return null;
  const to = h('input', { type: 'email', value: m.to || '', autocomplete: 'off', 'data-was': m.to || '' });
  const banner = h('p', { class: 'banner', hidden: true, role: 'alert' });
  const form = h('form', { class: 'send-again' }, banner, field(w('sendTo'), to, 'to'),
    h('button', { type: 'submit', class: 'secondary' }, w('sendAgain')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    confirmIn(form, w('sendAgainQuestion', to.value.trim() || m.to), async () => {
      clearProblem(form, banner);
      try {
        await api('POST', `/admin/bills/${bill}/messages/${encodeURIComponent(m.id)}/send-again`, { to: to.value.trim() || null });
        await done(form);
      } catch (e) {
        showProblem(form, e, banner);
      }
    });
  });
  return form;
}

/** Rows that can be added and removed: `make(value, index)` gives a row's fields. */
export function repeater(legend, values, make, addLabel, blank, removeLabel) {
  const rows = h('div', { class: 'rows' });
  const add = (v) => {
    const row = h('div', { class: 'row repeat' }, make(v, rows.children.length));
    row.append(h('button', { type: 'button', class: 'secondary', onclick: () => { row.remove(); renumber(); } }, removeLabel));
    rows.append(row);
  };
  // Error paths name rows by index: keep them in order after a removal.
  const renumber = () => [...rows.children].forEach((row, i) => row.querySelectorAll('[data-path]').forEach((el) => {
    el.dataset.path = el.dataset.path.replace(/\[\d+\]/, `[${i}]`);
  }));
  values.forEach(add);
  return {
    element: h('fieldset', { 'data-path': legend.path }, h('legend', {}, legend.text), rows,
      h('button', { type: 'button', class: 'secondary', onclick: () => add(blank()) }, addLabel), h('span', { class: 'error', role: 'alert' })),
    rows: () => [...rows.children],
  };
}

/** An identifier made of a name: `Santé & sécurité` → `sante-securite` (the document's rule for
 * codes and identifiers: 1 to 40 letters, digits, - or _). */
export function identifierOf(name) {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
}

/** A new thing's identifier made of its name as it is typed (`make`), until typed by hand. */
export function follows(target, source, make) {
  source.addEventListener('input', () => { if (!target.dataset.typed) target.value = make(source.value); });
  target.addEventListener('input', () => { target.dataset.typed = '1'; });
}

/** Finds a Moodle course by name for `shop`'s manager; `value()` is its short name (its id with
 * `by: 'id'`), or null; with `words.clear`, a button chooses none again. */
export function coursePicker(shop, initial, words, path = 'handler', { by = 'shortname' } = {}) {
  let chosen = initial ?? null;
  const shown = h('p', { class: 'chosen', 'data-path': path });
  const label = () => (chosen === null ? words.none : `${words.chosen}${colon()}${typeof chosen === 'object' ? chosen.idnumber : chosen}`);
  const draw = (text) => { shown.textContent = text || label(); };
  const q = h('input', { type: 'search' });
  const results = h('ul', { class: 'picks' });
  let typing;
  q.oninput = () => {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      const found = (await send('GET', `/admin/shops/${shop}/moodle/courses?q=${encodeURIComponent(q.value)}`)).json.courses;
      results.replaceChildren(...(found.length ? found.map((c) => h('li', {},
        h('button', { type: 'button', class: 'secondary', onclick: () => { chosen = c[by]; draw(`${words.chosen}${colon()}${c.fullname} (${c.shortname})`); results.replaceChildren(); } },
          `${c.fullname} (${c.shortname})`))) : [h('li', { class: 'muted' }, words.noResult)]));
    }, 250);
  };
  draw();
  // A course stored by its id, short name or idnumber is shown by its name once Moodle says it.
  const ref = initial === null || initial === undefined ? null : String(typeof initial === 'object' ? initial.idnumber : initial);
  if (ref) {
    send('GET', `/admin/shops/${shop}/moodle/courses?q=${encodeURIComponent(ref)}`).then(({ json }) => {
      const c = json.courses.find((x) => String(x.id) === ref || x.shortname === ref || x.idnumber === ref);
      if (c && chosen === initial) draw(`${words.chosen}${colon()}${c.fullname} (${c.shortname})`);
    }).catch(() => {});
  }
  const clear = words.clear && h('button', { type: 'button', class: 'secondary', onclick: () => { chosen = null; draw(); } }, words.clear);
  return { element: h('div', { class: 'picker' }, field(words.find, q), results, shown, clear), value: () => chosen };
}

