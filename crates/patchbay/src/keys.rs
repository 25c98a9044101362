//! `patchbay keys`: make a master key, and rotate to a new one.
use crate::cli::RotateArgs;
use anyhow::{Context, bail};
use patchbay_vault::MasterKey;

pub fn generate() -> anyhow::Result<()> {
    println!("{}", MasterKey::generate().to_base64().as_str());
    Ok(())
}

fn new_key(args: &RotateArgs) -> anyhow::Result<MasterKey> {
    match (&args.new_master_key, &args.new_master_key_file) {
        (Some(text), _) => MasterKey::from_base64(text).context("--new-master-key"),
        (None, Some(path)) => {
            MasterKey::load_file(path).with_context(|| format!("reading {}", path.display()))
        }
        (None, None) => bail!(
            "give the new key with --new-master-key or --new-master-key-file (`patchbay keys generate` makes one)"
        ),
    }
}

pub fn rotate(args: RotateArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let data_dir = &args.keys.data_dir;
        let key_file = crate::master_key::file_path(&args.master, data_dir);
        if key_file.as_ref().is_some_and(|path| !path.exists()) {
            bail!(
                "there is no current master key at {}: give --master-key or --master-key-file",
                key_file.unwrap().display()
            );
        }
        let (old, _) = crate::master_key::load(&args.master, data_dir)?;
        let new = new_key(&args)?;
        let new_fingerprint = new.fingerprint();
        let new_copy = MasterKey::from_base64(&new.to_base64())?;
        let store = crate::backend::open(
            &args.database,
            data_dir,
            patchbay_store::WaitLimits::default(),
            patchbay_store_sqlite::Synchronous::Full,
        )
        .await?;
        let count = patchbay_server::vault::rotate(store.as_ref(), old, new).await?;
        // The key file is replaced only after the database committed, so a
        // failure leaves both as they were.
        if let Some(path) = key_file {
            new_copy
                .write_file(&path)
                .with_context(|| format!("writing the new key to {}", path.display()))?;
            println!("Wrote the new key to {}.", path.display());
        }
        println!("Re-wrapped {count} data key(s); the vault's key fingerprint is now {new_fingerprint}.");
        println!("Restart every server with the new key; until then they keep serving the keys they hold.");
        Ok(())
    })
}
